#include "vlmc/chat/Value.h"

#include "Objects.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace vlmc::chat {

using detail::DictHeap;
using detail::ListHeap;
using detail::StringHeap;
using detail::UndefinedHeap;

namespace {

const std::string &emptyString() {
  static const std::string *s = new std::string();
  return *s;
}
const Value::List &emptyList() {
  static const Value::List *l = new Value::List();
  return *l;
}
const Value::Dict &emptyDict() {
  static const Value::Dict *d = new Value::Dict();
  return *d;
}

uint32_t depthOf(const Value::List &items) {
  uint32_t d = 0;
  for (const Value &v : items)
    d = std::max(d, v.depth());
  return d + 1;
}

uint32_t depthOf(const Value::Dict &entries) {
  uint32_t d = 0;
  for (const auto &[key, v] : entries)
    d = std::max(d, v.depth());
  return d + 1;
}

// int vs float compared exactly, as Python does (not via a lossy cast).
bool intEqualsFloat(int64_t i, double f) {
  if (!std::isfinite(f) || f != std::floor(f))
    return false;
  if (f < -9223372036854775808.0 || f >= 9223372036854775808.0)
    return false;
  return static_cast<int64_t>(f) == i;
}

} // namespace

uint32_t detail::Namespace::depth() const { return depthOf(attrs); }

Value::Value(std::string s)
    : kind_(Kind::kString), heap_(std::make_shared<StringHeap>(std::move(s))) {
}

Value Value::undefined(std::string hint) {
  Value v;
  v.kind_ = Kind::kUndefined;
  if (!hint.empty())
    v.heap_ = std::make_shared<UndefinedHeap>(std::move(hint));
  return v;
}

Value Value::list(List items) {
  auto heap = std::make_shared<ListHeap>();
  heap->depth = depthOf(items);
  heap->items = std::move(items);
  Value v;
  v.kind_ = Kind::kList;
  v.heap_ = std::move(heap);
  return v;
}

Value Value::tuple(List items) {
  Value v = list(std::move(items));
  static_cast<ListHeap &>(*v.heap_).tuple = true;
  return v;
}

Value Value::dict(Dict entries) {
  auto heap = std::make_shared<DictHeap>();
  // Keep the first position of a repeated key with its last value. A hash
  // index keeps this linear for large JSON objects.
  std::unordered_map<std::string, size_t> index;
  index.reserve(entries.size());
  for (auto &entry : entries) {
    auto [it, inserted] = index.emplace(entry.first, heap->entries.size());
    if (inserted)
      heap->entries.push_back(std::move(entry));
    else
      heap->entries[it->second].second = std::move(entry.second);
  }
  heap->depth = depthOf(heap->entries);
  Value v;
  v.kind_ = Kind::kDict;
  v.heap_ = std::move(heap);
  return v;
}

Value Value::object(std::shared_ptr<detail::Object> object) {
  Value v;
  if (!object)
    return v;
  v.kind_ = Kind::kObject;
  v.heap_ = std::move(object);
  return v;
}

bool Value::isTuple() const {
  return kind_ == Kind::kList && static_cast<ListHeap &>(*heap_).tuple;
}

int64_t Value::asInt() const {
  if (kind_ == Kind::kInt)
    return scalar_.i;
  if (kind_ == Kind::kBool)
    return scalar_.b ? 1 : 0;
  return 0;
}

double Value::asFloat() const {
  if (kind_ == Kind::kFloat)
    return scalar_.f;
  if (kind_ == Kind::kInt)
    return static_cast<double>(scalar_.i);
  if (kind_ == Kind::kBool)
    return scalar_.b ? 1.0 : 0.0;
  return 0.0;
}

const std::string &Value::asString() const {
  if (kind_ != Kind::kString)
    return emptyString();
  return static_cast<StringHeap &>(*heap_).text;
}

const Value::List &Value::asList() const {
  if (kind_ != Kind::kList)
    return emptyList();
  return static_cast<ListHeap &>(*heap_).items;
}

const Value::Dict &Value::asDict() const {
  if (kind_ != Kind::kDict)
    return emptyDict();
  return static_cast<DictHeap &>(*heap_).entries;
}

detail::Object *Value::asObject() const {
  if (kind_ != Kind::kObject)
    return nullptr;
  return static_cast<detail::Object *>(heap_.get());
}

const std::string &Value::undefinedHint() const {
  if (kind_ != Kind::kUndefined || !heap_)
    return emptyString();
  return static_cast<UndefinedHeap &>(*heap_).hint;
}

const Value *Value::find(std::string_view key) const {
  for (const auto &[k, v] : asDict())
    if (k == key)
      return &v;
  return nullptr;
}

size_t Value::size() const {
  switch (kind_) {
  case Kind::kString:
    return asString().size();
  case Kind::kList:
    return asList().size();
  case Kind::kDict:
    return asDict().size();
  default:
    return 0;
  }
}

uint32_t Value::depth() const {
  switch (kind_) {
  case Kind::kList:
    return static_cast<ListHeap &>(*heap_).depth;
  case Kind::kDict:
    return static_cast<DictHeap &>(*heap_).depth;
  case Kind::kObject:
    return asObject()->depth();
  default:
    return 0;
  }
}

Value &Value::set(std::string key, Value value) {
  if (kind_ != Kind::kDict)
    return *this;
  if (heap_.use_count() > 1) // copy on write: other holders keep theirs
    heap_ = std::make_shared<DictHeap>(static_cast<DictHeap &>(*heap_));
  auto &heap = static_cast<DictHeap &>(*heap_);
  for (auto &[k, v] : heap.entries) {
    if (k == key) {
      v = std::move(value);
      heap.depth = depthOf(heap.entries);
      return *this;
    }
  }
  heap.depth = std::max(heap.depth, value.depth() + 1);
  heap.entries.emplace_back(std::move(key), std::move(value));
  return *this;
}

Value &Value::append(Value value) {
  if (kind_ != Kind::kList)
    return *this;
  if (heap_.use_count() > 1)
    heap_ = std::make_shared<ListHeap>(static_cast<ListHeap &>(*heap_));
  auto &heap = static_cast<ListHeap &>(*heap_);
  heap.depth = std::max(heap.depth, value.depth() + 1);
  heap.items.push_back(std::move(value));
  return *this;
}

bool operator==(const Value &a, const Value &b) {
  using Kind = Value::Kind;
  if (a.isNumber() && b.isNumber()) {
    bool aFloat = a.isFloat(), bFloat = b.isFloat();
    if (!aFloat && !bFloat)
      return a.asInt() == b.asInt();
    if (aFloat && bFloat)
      return a.asFloat() == b.asFloat();
    return aFloat ? intEqualsFloat(b.asInt(), a.asFloat())
                  : intEqualsFloat(a.asInt(), b.asFloat());
  }
  if (a.kind() != b.kind())
    return false;
  switch (a.kind()) {
  case Kind::kUndefined:
  case Kind::kNone:
    return true;
  case Kind::kString:
    return a.asString() == b.asString();
  case Kind::kList: {
    if (a.isTuple() != b.isTuple())
      return false;
    const auto &x = a.asList(), &y = b.asList();
    if (x.size() != y.size())
      return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i] != y[i])
        return false;
    return true;
  }
  case Kind::kDict: {
    const auto &x = a.asDict();
    if (x.size() != b.asDict().size())
      return false;
    for (const auto &[key, v] : x) {
      const Value *other = b.find(key);
      if (!other || *other != v)
        return false;
    }
    return true;
  }
  case Kind::kObject:
    return a.asObject() == b.asObject();
  default:
    return false; // numbers handled above
  }
}

} // namespace vlmc::chat
