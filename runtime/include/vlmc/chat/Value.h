// Value: the data a chat template sees. Jinja templates are written against
// Python objects; the ones Hugging Face passes (messages, flags, special
// tokens, tool schemas) are JSON-shaped, so this is a JSON-like variant with
// Python semantics where the template can observe them (1 == 1.0 == true,
// dicts keep insertion order, str() of a list is its Python repr).
//
// Lists, dicts and strings are immutable and shared: copying a Value is
// cheap whatever it holds. The builders (append/set) copy on write, so a
// Value handed to a template is never changed behind its back.
//
//   Value msg = Value::dict({{"role", "user"}, {"content", "Hi"}});
//   Value ctx = Value::dict({{"messages", Value::list({msg})},
//                            {"add_generation_prompt", true}});
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace vlmc::chat {

namespace detail {
struct Heap;   // shared payload of strings, lists, dicts and objects
class Object;  // renderer-internal objects (namespace, loop, functions)
} // namespace detail

class Value {
public:
  enum class Kind : uint8_t {
    kUndefined, // Jinja's Undefined: a missing variable, key or attribute
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList, // also Python tuples (isTuple()), which only templates make
    kDict,
    kObject, // namespace(), loop, bound methods: only inside a render
  };
  using List = std::vector<Value>;
  // Insertion-ordered like a Python dict; keys are unique.
  using Dict = std::vector<std::pair<std::string, Value>>;

  // Deepest list/dict nesting a Value may have; deeper input is rejected by
  // render() (and by valueFromJson) so nothing downstream recurses unbounded.
  static constexpr uint32_t kMaxDepth = 256;

  Value() noexcept = default; // none
  Value(std::nullptr_t) noexcept {}
  Value(bool b) noexcept : kind_(Kind::kBool) { scalar_.b = b; }
  // Any integer type but bool; unsigned values above INT64_MAX wrap.
  template <typename T, std::enable_if_t<std::is_integral_v<T> &&
                                             !std::is_same_v<T, bool>,
                                         int> = 0>
  Value(T i) noexcept : kind_(Kind::kInt) {
    scalar_.i = static_cast<int64_t>(i);
  }
  Value(double d) noexcept : kind_(Kind::kFloat) { scalar_.f = d; }
  Value(const char *s) : Value(std::string(s)) {}
  Value(std::string_view s) : Value(std::string(s)) {}
  Value(std::string s);

  static Value undefined(std::string hint = {});
  static Value list(List items = {});
  static Value tuple(List items);
  // Later duplicates of a key replace the earlier value (as {'a': 1, 'a': 2}).
  static Value dict(Dict entries = {});
  static Value object(std::shared_ptr<detail::Object> object);

  Kind kind() const { return kind_; }
  bool isUndefined() const { return kind_ == Kind::kUndefined; }
  bool isNone() const { return kind_ == Kind::kNone; }
  bool isBool() const { return kind_ == Kind::kBool; }
  bool isInt() const { return kind_ == Kind::kInt; }
  bool isFloat() const { return kind_ == Kind::kFloat; }
  // Python's numbers.Number: int, float and bool.
  bool isNumber() const {
    return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool;
  }
  bool isString() const { return kind_ == Kind::kString; }
  bool isList() const { return kind_ == Kind::kList; }
  bool isTuple() const;
  bool isDict() const { return kind_ == Kind::kDict; }
  bool isObject() const { return kind_ == Kind::kObject; }

  // Accessors; calling one for the wrong kind returns a neutral value
  // (false, 0, "", empty list/dict) rather than crashing.
  bool asBool() const { return kind_ == Kind::kBool && scalar_.b; }
  int64_t asInt() const; // int, or bool as 0/1
  double asFloat() const; // float, int or bool
  const std::string &asString() const;
  const List &asList() const;
  const Dict &asDict() const;
  detail::Object *asObject() const;
  // The variable/key name an undefined value came from ("" if none).
  const std::string &undefinedHint() const;

  // Dict entry by key; nullptr when absent or not a dict.
  const Value *find(std::string_view key) const;
  // Element count of a list or dict, byte length of a string, else 0.
  size_t size() const;
  // 0 for scalars, 1 + the deepest element for lists, dicts and objects.
  uint32_t depth() const;

  // Builders. set() on a dict replaces an existing key in place or appends;
  // append() adds to a list. Both are no-ops on other kinds.
  Value &set(std::string key, Value value);
  Value &append(Value value);

  // Python equality: 1 == 1.0 == True, dicts compare regardless of order,
  // [1] != (1,), undefined equals only undefined, objects by identity.
  friend bool operator==(const Value &a, const Value &b);
  friend bool operator!=(const Value &a, const Value &b) { return !(a == b); }

private:
  Kind kind_ = Kind::kNone;
  union {
    bool b;
    int64_t i;
    double f;
  } scalar_{};
  std::shared_ptr<detail::Heap> heap_;
};

} // namespace vlmc::chat
