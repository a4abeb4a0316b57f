#include "model/torch_pickle.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <unordered_map>

namespace clipsearch {
namespace {

// ref: CPython Lib/pickletools.py (opcode table) and Lib/pickle.py (_Unpickler); PyTorch
// torch/serialization.py (_save: persistent ids ('storage', type, key, location, numel)) and
// torch/_utils.py (_rebuild_tensor_v2, _rebuild_parameter).
constexpr size_t kMaxNesting = 64;       // open MARKs and container depth
constexpr uint64_t kMaxMemo = 1u << 20;  // memo indices
constexpr int kMaxDims = 16;

struct Value {
  enum Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kStorage,
    kTensor
  };
  Kind kind = kNone;
  int64_t i = 0;
  std::string s;                                   // string, global "module.name", storage key
  std::vector<Value*> items;                       // tuple, list
  std::vector<std::pair<Value*, Value*>> entries;  // dict
  size_t depth = 0;                                // containers below this one
  // storage
  DType dtype = DType::kF32;
  // tensor
  PickledTensor tensor;
};

const char* kind_name(Value::Kind kind) {
  static const char* names[] = {"None", "bool", "int",    "float",   "str",   "tuple",
                                "list", "dict", "global", "storage", "tensor"};
  return names[kind];
}

struct StorageType {
  const char* name;
  DType dtype;
};
constexpr StorageType kStorages[] = {
    {"FloatStorage", DType::kF32},  {"HalfStorage", DType::kF16}, {"BFloat16Storage", DType::kBF16},
    {"DoubleStorage", DType::kF64}, {"LongStorage", DType::kI64}, {"IntStorage", DType::kI32},
    {"ShortStorage", DType::kI16},  {"CharStorage", DType::kI8},  {"ByteStorage", DType::kU8},
    {"BoolStorage", DType::kBool},
};

const char* opcode_name(uint8_t op) {
  switch (op) {
    case 'c':
      return "GLOBAL";
    case 'i':
      return "INST";
    case 'o':
      return "OBJ";
    case 0x81:
      return "NEWOBJ";
    case 0x92:
      return "NEWOBJ_EX";
    case 0x82:
    case 0x83:
    case 0x84:
      return "EXT";
    case 'P':
      return "PERSID";
    case 'S':
      return "STRING";
    case 'I':
      return "INT";
    case 'L':
      return "LONG";
    case 'F':
      return "FLOAT";
    case 'V':
      return "UNICODE";
    case 'g':
      return "GET";
    case 'p':
      return "PUT";
    default:
      return "unknown";
  }
}

class Unpickler {
 public:
  Unpickler(const uint8_t* bytes, size_t size, const std::string& name)
      : p_(bytes), end_(bytes + size), name_(name) {}

  Result<std::vector<PickledTensor>> run();
  Result<const Value*> run_value();  // any value (the legacy format's side pickles)
  size_t consumed() const { return consumed_; }

 private:
  // A damaged pickle is kCorruption; a well-formed one this reader refuses is kUnsupported.
  Status error(const std::string& what, StatusCode code = StatusCode::kCorruption) const {
    return Status::error(code, name_ + ": " + what + " (at byte " + std::to_string(pos_) + ")");
  }
  Value* make(Value::Kind kind) {
    arena_.push_back(std::make_unique<Value>());
    arena_.back()->kind = kind;
    return arena_.back().get();
  }
  bool need(size_t n) const { return static_cast<size_t>(end_ - p_) >= n; }
  Status read(size_t n, const uint8_t** out) {
    if (!need(n)) return error("truncated pickle");
    *out = p_;
    p_ += n;
    return Status();
  }
  Status read_uint(size_t n, uint64_t* out) {
    const uint8_t* b = nullptr;
    CLIPSEARCH_RETURN_IF_ERROR(read(n, &b));
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(b[k]) << (8 * k);
    *out = v;
    return Status();
  }
  Status read_line(std::string* out) {
    const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(p_, '\n', end_ - p_));
    if (nl == nullptr || nl - p_ > 256) return error("truncated or overlong GLOBAL name");
    out->assign(reinterpret_cast<const char*>(p_), nl - p_);
    p_ = nl + 1;
    return Status();
  }
  Status pop(Value** out) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      return error("stack underflow");
    }
    *out = stack_.back();
    stack_.pop_back();
    return Status();
  }
  Status pop_mark(std::vector<Value*>* items) {
    if (marks_.empty()) return error("no MARK on the stack");
    items->assign(stack_.begin() + marks_.back(), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return Status();
  }
  Status push(Value* v) {
    stack_.push_back(v);
    return Status();
  }
  Value* container(Value::Kind kind, std::vector<Value*> items) {
    Value* v = make(kind);
    for (Value* item : items) v->depth = std::max(v->depth, item->depth + 1);
    v->items = std::move(items);
    return v;
  }
  Status push_container(Value::Kind kind, std::vector<Value*> items) {
    Value* v = container(kind, std::move(items));
    if (v->depth > kMaxNesting) {
      return error("containers nested deeper than " + std::to_string(kMaxNesting));
    }
    return push(v);
  }
  Status memo_put(uint64_t index) {
    if (index >= kMaxMemo) return error("memo index " + std::to_string(index) + " is too large");
    if (stack_.empty()) return error("memo put on an empty stack");
    memo_[index] = stack_.back();
    return Status();
  }
  Status memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return error("memo index " + std::to_string(index) + " was never set");
    return push(it->second);
  }
  Status set_items(Value* dict, const std::vector<Value*>& kv) {
    if (dict->kind != Value::kDict) {
      return error(std::string("SETITEM(S) on a ") + kind_name(dict->kind) + ", not a dict");
    }
    if (kv.size() % 2 != 0) return error("SETITEMS with an odd number of values");
    for (size_t k = 0; k < kv.size(); k += 2) {
      dict->entries.emplace_back(kv[k], kv[k + 1]);
      dict->depth = std::max(dict->depth, kv[k + 1]->depth + 1);
    }
    if (dict->depth > kMaxNesting) {
      return error("containers nested deeper than " + std::to_string(kMaxNesting));
    }
    return Status();
  }
  Status global(const std::string& module, const std::string& name);
  Status persistent_id();
  Status reduce();
  Status step(uint8_t op, bool* done);

  const uint8_t* p_;
  const uint8_t* end_;
  size_t pos_ = 0;
  std::string name_;
  std::vector<std::unique_ptr<Value>> arena_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
  size_t consumed_ = 0;
};

Status Unpickler::global(const std::string& module, const std::string& name) {
  Value* g = make(Value::kGlobal);
  g->s = module + "." + name;
  if (g->s == "collections.OrderedDict" || g->s == "torch._utils._rebuild_tensor_v2" ||
      g->s == "torch._utils._rebuild_parameter") {
    return push(g);
  }
  if (module == "torch") {
    for (const auto& storage : kStorages) {
      if (name == storage.name) {
        g->dtype = storage.dtype;
        g->i = 1;  // marks a storage type
        return push(g);
      }
    }
  }
  return error("pickle imports " + g->s +
                   "; a state dict needs only collections.OrderedDict, "
                   "torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and "
                   "torch.*Storage, so it is refused (nothing was executed)",
               StatusCode::kUnsupported);
}

Status Unpickler::persistent_id() {
  Value* pid = nullptr;
  CLIPSEARCH_RETURN_IF_ERROR(pop(&pid));
  const auto& t = pid->items;
  // Zip format: 5 fields; legacy format: a sixth, view_metadata, None for whole storages.
  if (pid->kind == Value::kTuple && t.size() == 6 && t[5]->kind != Value::kNone) {
    return error("persistent id with a storage view (PyTorch < 1.0) is not supported",
                 StatusCode::kUnsupported);
  }
  if (pid->kind != Value::kTuple || (t.size() != 5 && t.size() != 6) ||
      t[0]->kind != Value::kString || t[0]->s != "storage" || t[1]->kind != Value::kGlobal ||
      t[1]->i != 1 || t[2]->kind != Value::kString || t[4]->kind != Value::kInt) {
    return error("persistent id is not ('storage', torch.*Storage, key, location, numel)");
  }
  if (t[4]->i < 0) return error("storage " + t[2]->s + " has a negative size");
  Value* storage = make(Value::kStorage);
  storage->s = t[2]->s;
  storage->dtype = t[1]->dtype;
  storage->i = t[4]->i;
  return push(storage);
}

Result<std::vector<int64_t>> int_tuple(const Value* v, const char* what, const std::string& at) {
  if (v->kind != Value::kTuple || v->items.size() > kMaxDims) {
    return Status::corruption(at + ": tensor " + what + " is not a tuple of at most " +
                              std::to_string(kMaxDims) + " ints");
  }
  std::vector<int64_t> out;
  for (const Value* item : v->items) {
    if (item->kind != Value::kInt || item->i < 0) {
      return Status::corruption(at + ": tensor " + what + " holds a non-integer or negative value");
    }
    out.push_back(item->i);
  }
  return out;
}

Status Unpickler::reduce() {
  Value* args = nullptr;
  Value* callable = nullptr;
  CLIPSEARCH_RETURN_IF_ERROR(pop(&args));
  CLIPSEARCH_RETURN_IF_ERROR(pop(&callable));
  if (callable->kind != Value::kGlobal || args->kind != Value::kTuple) {
    return error(std::string("REDUCE of a ") + kind_name(callable->kind) + " with " +
                 kind_name(args->kind) + " arguments");
  }
  const auto& a = args->items;
  if (callable->s == "collections.OrderedDict") {
    if (!a.empty()) return error("collections.OrderedDict called with arguments");
    return push(make(Value::kDict));
  }
  if (callable->s == "torch._utils._rebuild_parameter") {
    if (a.size() < 3 || a[0]->kind != Value::kTensor) {
      return error("torch._utils._rebuild_parameter without a tensor");
    }
    return push(a[0]);
  }
  if (callable->s == "torch._utils._rebuild_tensor_v2") {
    if (a.size() < 6 || a.size() > 7 || a[0]->kind != Value::kStorage ||
        a[1]->kind != Value::kInt || a[1]->i < 0) {
      return error("torch._utils._rebuild_tensor_v2 with unexpected arguments");
    }
    Value* t = make(Value::kTensor);
    t->tensor.storage_key = a[0]->s;
    t->tensor.dtype = a[0]->dtype;
    t->tensor.storage_numel = a[0]->i;
    t->tensor.storage_offset = a[1]->i;
    const std::string at = name_ + " (byte " + std::to_string(pos_) + ")";
    CLIPSEARCH_ASSIGN_OR_RETURN(t->tensor.shape, int_tuple(a[2], "size", at));
    CLIPSEARCH_ASSIGN_OR_RETURN(t->tensor.stride, int_tuple(a[3], "stride", at));
    if (t->tensor.shape.size() != t->tensor.stride.size()) {
      return error("tensor size and stride have different lengths");
    }
    return push(t);
  }
  return error("REDUCE calls " + callable->s + ", which is not callable here");
}

Status Unpickler::step(uint8_t op, bool* done) {
  uint64_t n = 0;
  const uint8_t* b = nullptr;
  Value* v = nullptr;
  std::vector<Value*> items;
  switch (op) {
    case 0x80:  // PROTO
      CLIPSEARCH_RETURN_IF_ERROR(read_uint(1, &n));
      if (n < 2 || n > 5)
        return error("pickle protocol " + std::to_string(n) + " not supported",
                     StatusCode::kUnsupported);
      return Status();
    case 0x95:  // FRAME: a length hint only
      return read_uint(8, &n);
    case '.':  // STOP
      *done = true;
      return Status();
    case '(':  // MARK
      if (marks_.size() >= kMaxNesting) {
        return error("MARKs nested deeper than " + std::to_string(kMaxNesting));
      }
      marks_.push_back(stack_.size());
      return Status();
    case '0':  // POP
      return pop(&v);
    case '1':  // POP_MARK
      return pop_mark(&items);
    case 'N':
      return push(make(Value::kNone));
    case 0x88:  // NEWTRUE
    case 0x89:  // NEWFALSE
      v = make(Value::kBool);
      v->i = op == 0x88;
      return push(v);
    case 'J':  // BININT: signed 32-bit
      CLIPSEARCH_RETURN_IF_ERROR(read_uint(4, &n));
      v = make(Value::kInt);
      v->i = static_cast<int32_t>(static_cast<uint32_t>(n));
      return push(v);
    case 'K':  // BININT1
    case 'M':  // BININT2
      CLIPSEARCH_RETURN_IF_ERROR(read_uint(op == 'K' ? 1 : 2, &n));
      v = make(Value::kInt);
      v->i = static_cast<int64_t>(n);
      return push(v);
    case 0x8a: {  // LONG1: little-endian two's complement of n bytes
      CLIPSEARCH_RETURN_IF_ERROR(read_uint(1, &n));
      if (n > 8) return error("integer wider than 64 bits");
      uint64_t raw = 0;
      CLIPSEARCH_RETURN_IF_ERROR(read_uint(n, &raw));
      if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);
      v = make(Value::kInt);
      v->i = static_cast<int64_t>(raw);
      return push(v);
    }
    case 'G':  // BINFLOAT (kept only as a placeholder value)
      CLIPSEARCH_RETURN_IF_ERROR(read(8, &b));
      return push(make(Value::kFloat));
    case 'X':   // BINUNICODE
    case 0x8c:  // SHORT_BINUNICODE
    case 'T':   // BINSTRING
    case 'U':   // SHORT_BINSTRING
    case 'B':   // BINBYTES
    case 'C':   // SHORT_BINBYTES
      CLIPSEARCH_RETURN_IF_ERROR(read_uint(op == 0x8c || op == 'U' || op == 'C' ? 1 : 4, &n));
      CLIPSEARCH_RETURN_IF_ERROR(read(n, &b));
      v = make(Value::kString);
      v->s.assign(reinterpret_cast<const char*>(b), n);
      return push(v);
    case ')':  // EMPTY_TUPLE
      return push(container(Value::kTuple, {}));
    case 0x85:  // TUPLE1
    case 0x86:  // TUPLE2
    case 0x87:  // TUPLE3
      items.resize(op - 0x84);
      for (size_t k = items.size(); k-- > 0;) CLIPSEARCH_RETURN_IF_ERROR(pop(&items[k]));
      return push_container(Value::kTuple, std::move(items));
    case 't':  // TUPLE
      CLIPSEARCH_RETURN_IF_ERROR(pop_mark(&items));
      return push_container(Value::kTuple, std::move(items));
    case ']':  // EMPTY_LIST
      return push(container(Value::kList, {}));
    case 'l':  // LIST
      CLIPSEARCH_RETURN_IF_ERROR(pop_mark(&items));
      return push_container(Value::kList, std::move(items));
    case 'a':  // APPEND
    case 'e':  // APPENDS
      if (op == 'a') {
        CLIPSEARCH_RETURN_IF_ERROR(pop(&v));
        items.push_back(v);
      } else {
        CLIPSEARCH_RETURN_IF_ERROR(pop_mark(&items));
      }
      if (stack_.empty() || stack_.back()->kind != Value::kList)
        return error("APPEND to a non-list");
      for (Value* item : items) {
        stack_.back()->items.push_back(item);
        stack_.back()->depth = std::max(stack_.back()->depth, item->depth + 1);
      }
      if (stack_.back()->depth > kMaxNesting) {
        return error("containers nested deeper than " + std::to_string(kMaxNesting));
      }
      return Status();
    case '}':  // EMPTY_DICT
      return push(make(Value::kDict));
    case 'd':  // DICT
      CLIPSEARCH_RETURN_IF_ERROR(pop_mark(&items));
      v = make(Value::kDict);
      CLIPSEARCH_RETURN_IF_ERROR(set_items(v, items));
      return push(v);
    case 's':  // SETITEM
      items.resize(2);
      CLIPSEARCH_RETURN_IF_ERROR(pop(&items[1]));
      CLIPSEARCH_RETURN_IF_ERROR(pop(&items[0]));
      if (stack_.empty()) return error("SETITEM without a dict");
      return set_items(stack_.back(), items);
    case 'u':  // SETITEMS
      CLIPSEARCH_RETURN_IF_ERROR(pop_mark(&items));
      if (stack_.empty()) return error("SETITEMS without a dict");
      return set_items(stack_.back(), items);
    case 'q':  // BINPUT
    case 'r':  // LONG_BINPUT
      CLIPSEARCH_RETURN_IF_ERROR(read_uint(op == 'q' ? 1 : 4, &n));
      return memo_put(n);
    case 0x94:  // MEMOIZE
      return memo_put(memo_.size());
    case 'h':  // BINGET
    case 'j':  // LONG_BINGET
      CLIPSEARCH_RETURN_IF_ERROR(read_uint(op == 'h' ? 1 : 4, &n));
      return memo_get(n);
    case 'c': {  // GLOBAL module\nname\n
      std::string module, name;
      CLIPSEARCH_RETURN_IF_ERROR(read_line(&module));
      CLIPSEARCH_RETURN_IF_ERROR(read_line(&name));
      return global(module, name);
    }
    case 0x93: {  // STACK_GLOBAL
      Value* name = nullptr;
      Value* module = nullptr;
      CLIPSEARCH_RETURN_IF_ERROR(pop(&name));
      CLIPSEARCH_RETURN_IF_ERROR(pop(&module));
      if (name->kind != Value::kString || module->kind != Value::kString) {
        return error("STACK_GLOBAL without two strings");
      }
      return global(module->s, name->s);
    }
    case 'Q':  // BINPERSID
      return persistent_id();
    case 'R':  // REDUCE
      return reduce();
    case 'b':  // BUILD: the state of an OrderedDict (its _metadata) is not needed
      CLIPSEARCH_RETURN_IF_ERROR(pop(&v));
      if (stack_.empty() || stack_.back()->kind != Value::kDict) {
        return error("BUILD on something other than a dict");
      }
      return Status();
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op);
      return error(std::string("opcode ") + hex + " (" + opcode_name(op) +
                       ") is not allowed in a state dict pickle",
                   StatusCode::kUnsupported);
    }
  }
}

Result<const Value*> Unpickler::run_value() {
  const uint8_t* begin = p_;
  bool done = false;
  while (!done) {
    pos_ = p_ - begin;
    if (p_ == end_) return error("truncated pickle (no STOP)");
    const uint8_t op = *p_++;
    CLIPSEARCH_RETURN_IF_ERROR(step(op, &done));
  }
  consumed_ = static_cast<size_t>(p_ - begin);
  if (stack_.size() != 1 || !marks_.empty()) return error("pickle ends with a malformed stack");
  return static_cast<const Value*>(stack_.back());
}

Result<std::vector<PickledTensor>> Unpickler::run() {
  CLIPSEARCH_ASSIGN_OR_RETURN(const Value* top, run_value());
  if (top->kind != Value::kDict) {
    return error(std::string("pickle holds a ") + kind_name(top->kind) + ", not a state dict");
  }
  std::vector<PickledTensor> out;
  std::unordered_map<std::string, DType> storages;
  for (const auto& [key, value] : top->entries) {
    if (key->kind != Value::kString) return error("state dict has a non-string key");
    if (value->kind != Value::kTensor) {
      return error("state dict entry " + key->s + " is a " + kind_name(value->kind) +
                   ", not a tensor");
    }
    PickledTensor t = value->tensor;
    t.name = key->s;
    auto [it, fresh] = storages.emplace(t.storage_key, t.dtype);
    if (!fresh && it->second != t.dtype) {
      return error("storage " + t.storage_key + " is used with two dtypes");
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Result<std::vector<PickledTensor>> unpickle_state_dict(const uint8_t* bytes, size_t size,
                                                       const std::string& name, size_t* consumed) {
  Unpickler unpickler(bytes, size, name);
  auto result = unpickler.run();
  if (consumed != nullptr) *consumed = unpickler.consumed();
  return result;
}

Result<bool> unpickle_legacy_little_endian(const uint8_t* bytes, size_t size,
                                           const std::string& name, size_t* consumed) {
  Unpickler unpickler(bytes, size, name);
  CLIPSEARCH_ASSIGN_OR_RETURN(const Value* top, unpickler.run_value());
  *consumed = unpickler.consumed();
  if (top->kind == Value::kDict) {
    for (const auto& [key, value] : top->entries) {
      if (key->kind == Value::kString && key->s == "little_endian" && value->kind == Value::kBool) {
        return value->i != 0;
      }
    }
  }
  return Status::corruption(name + ": the system-information dict has no little_endian flag");
}

Result<std::vector<std::string>> unpickle_string_list(const uint8_t* bytes, size_t size,
                                                      const std::string& name, size_t* consumed) {
  Unpickler unpickler(bytes, size, name);
  CLIPSEARCH_ASSIGN_OR_RETURN(const Value* top, unpickler.run_value());
  *consumed = unpickler.consumed();
  std::vector<std::string> out;
  if (top->kind != Value::kList) return Status::corruption(name + ": not a list of storage keys");
  for (const Value* item : top->items) {
    if (item->kind != Value::kString)
      return Status::corruption(name + ": a storage key is not a str");
    out.push_back(item->s);
  }
  return out;
}

}  // namespace clipsearch
