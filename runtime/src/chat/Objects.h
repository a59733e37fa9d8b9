// The payloads behind Value (strings, lists, dicts) and the renderer's own
// objects: namespace(), the loop variable and bound functions. Templates can
// read these but only namespace attributes can be assigned, and a namespace
// may only hold plain data, so no object graph can form a cycle.
#pragma once

#include "vlmc/chat/Value.h"

#include <string>

namespace vlmc::chat::detail {

struct Heap {
  virtual ~Heap() = default;
};

struct StringHeap final : Heap {
  explicit StringHeap(std::string t) : text(std::move(t)) {}
  std::string text;
};

// An undefined value's hint: the message an error about it should show,
// e.g. "'foo' is undefined" or "'dict object' has no attribute 'x'".
struct UndefinedHeap final : Heap {
  explicit UndefinedHeap(std::string h) : hint(std::move(h)) {}
  std::string hint;
};

struct ListHeap final : Heap {
  Value::List items;
  uint32_t depth = 1;
  bool tuple = false;
};

struct DictHeap final : Heap {
  Value::Dict entries;
  uint32_t depth = 1;
};

class Object : public Heap {
public:
  enum class Type { kNamespace, kLoop, kFunction };
  explicit Object(Type type) : type_(type) {}
  Type type() const { return type_; }
  virtual uint32_t depth() const = 0;

private:
  Type type_;
};

// namespace(): the one mutable thing a template can make. Attribute values
// are checked to be plain data (no objects) when assigned.
class Namespace final : public Object {
public:
  Namespace() : Object(Type::kNamespace) {}
  uint32_t depth() const override;
  Value::Dict attrs;
};

// The `loop` variable of one for loop; index advances as the loop runs.
class LoopState final : public Object {
public:
  explicit LoopState(Value items)
      : Object(Type::kLoop), items(std::move(items)) {}
  uint32_t depth() const override { return 1 + items.depth(); }
  Value items; // the (filtered) list being iterated
  size_t index = 0;
  // loop.changed(): the arguments of the previous call.
  bool haveChanged = false;
  Value lastChanged;
};

// Something callable: a global (range, namespace, ...), a str/dict/list method
// bound to its receiver, or loop.cycle / loop.changed.
class Function final : public Object {
public:
  enum class Kind { kGlobal, kStrMethod, kDictMethod, kListMethod, kLoopMethod };
  Function(Kind kind, std::string name, Value receiver = Value())
      : Object(Type::kFunction), kind(kind), name(std::move(name)),
        receiver(std::move(receiver)) {}
  uint32_t depth() const override { return 1 + receiver.depth(); }
  Kind kind;
  std::string name;
  Value receiver;
};

} // namespace vlmc::chat::detail
