#include "Summary.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>

namespace vlmc::inspect {

namespace {

using namespace vlmc::artifact;

Json str(const flatbuffers::String *s) {
  return s ? Json(s->str()) : Json(nullptr);
}

std::string lower(std::string s) {
  for (char &c : s)
    c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Json shapeJson(const flatbuffers::Vector<int64_t> *shape) {
  Json out = Json::array();
  if (shape)
    for (uint32_t i = 0; i < shape->size(); ++i)
      out.push_back(shape->Get(i));
  return out;
}

Json quantJson(const fb::QuantSpec *q) {
  if (!q || q->mode() == fb::QuantMode::None)
    return nullptr;
  return {{"mode", lower(fb::EnumNameQuantMode(q->mode()))},
          {"bits", q->bits()},
          {"group_size", q->group_size()},
          {"global_scale", q->global_scale()}};
}

Json valueJson(const fb::Function &f, int32_t id) {
  // Ids were range-checked when the artifact was opened.
  const fb::Value &v = *f.values()->Get(uint32_t(id));
  return {{"value", id},
          {"dtype", fb::EnumNameDType(v.dtype())},
          {"shape", shapeJson(v.shape())}};
}

// Most frequent first; ties in op-code order.
Json opHistogram(const fb::Function &f) {
  std::map<uint16_t, uint64_t> counts;
  if (f.ops())
    for (const fb::Op *op : *f.ops())
      ++counts[uint16_t(op->code())];
  std::vector<std::pair<uint16_t, uint64_t>> sorted(counts.begin(),
                                                    counts.end());
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const auto &a, const auto &b) { return a.second > b.second; });
  Json out = Json::object();
  for (const auto &[code, n] : sorted)
    out[fb::EnumNameOpCode(fb::OpCode(code))] = n;
  return out;
}

Json functionJson(const fb::Function &f) {
  Json inputs = Json::array();
  if (f.inputs())
    for (const fb::Argument *arg : *f.inputs()) {
      Json in = {{"name", arg->name()->str()}};
      in.update(valueJson(f, arg->value()));
      inputs.push_back(std::move(in));
    }
  Json outputs = Json::array();
  if (f.outputs())
    for (int32_t id : *f.outputs())
      outputs.push_back(valueJson(f, id));
  return {{"name", f.name()->str()},
          {"values", f.values() ? f.values()->size() : 0},
          {"inputs", std::move(inputs)},
          {"outputs", std::move(outputs)},
          {"ops", f.ops() ? f.ops()->size() : 0},
          {"op_histogram", opHistogram(f)}};
}

} // namespace

Json summarize(const Artifact &a) {
  const Header &h = a.header();
  const fb::Artifact &root = a.root();
  Json out;
  out["file"] = a.label();
  out["header"] = {
      {"magic", std::string(h.magic, strnlen(h.magic, sizeof h.magic))},
      {"format_version", h.formatVersion},
      {"flags", h.flags},
      {"file_size", a.fileSize()},
      {"flatbuffer_offset", h.flatbufferOffset},
      {"flatbuffer_size", h.flatbufferSize},
      {"weights_offset", h.weightsOffset},
      {"weights_size", h.weightsSize},
      {"synthetic_weights_size", root.synthetic_weights_size()}};
  out["model"] = {{"family", str(root.family())},
                  {"model_type", str(root.model_type())},
                  {"target", str(root.target())},
                  {"quantize_activations", root.quantize_activations()},
                  {"compiler_version", str(root.compiler_version())}};

  Json files = Json::array();
  if (root.files())
    for (const fb::EmbeddedFile *f : *root.files())
      files.push_back({{"name", f->name()->str()},
                       {"bytes", f->data() ? f->data()->size() : 0}});
  out["files"] = std::move(files);

  Json tensors = Json::array();
  uint64_t total = 0;
  for (size_t i = 0; i < a.tensorCount(); ++i) {
    const fb::Tensor &t = *a.tensor(i);
    tensors.push_back({{"name", t.name()->str()},
                       {"dtype", fb::EnumNameDType(t.dtype())},
                       {"shape", shapeJson(t.shape())},
                       {"quant", quantJson(t.quant())},
                       {"offset", t.offset()},
                       {"bytes", t.size()}});
    total += t.size(); // each is within the weights segment: no overflow
  }
  out["tensors"] = std::move(tensors);
  out["tensor_bytes"] = total;

  Json functions = Json::array();
  if (root.functions())
    for (const fb::Function *f : *root.functions())
      functions.push_back(functionJson(*f));
  out["functions"] = std::move(functions);

  // Cubins are listed apart from the names, each naming its kernel, so the
  // names stay a plain list.
  Json kernels = Json::array();
  Json cubins = Json::array();
  if (root.kernels())
    for (const fb::Kernel *k : *root.kernels()) {
      kernels.push_back(k->name()->str());
      if (k->cubins())
        for (const fb::Cubin *c : *k->cubins())
          cubins.push_back({{"kernel", k->name()->str()},
                            {"arch", c->arch()->str()},
                            {"bytes", c->data() ? c->data()->size() : 0}});
    }
  out["kernels"] = {{"count", kernels.size()},
                    {"names", std::move(kernels)},
                    {"cubins", std::move(cubins)}};
  return out;
}

// --- text
// -----------------------------------------------------------------------

namespace {

std::string text(const Json &j) {
  if (j.is_null())
    return "-";
  return j.is_string() ? j.get<std::string>() : j.dump();
}

std::string shapeText(const Json &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? ", " : "") + std::to_string(shape[i].get<int64_t>());
  return out + "]";
}

std::string quantText(const Json &q) {
  if (q.is_null())
    return "-";
  std::string out = q["mode"].get<std::string>() + " " +
                    std::to_string(q["bits"].get<int>()) + "-bit g" +
                    std::to_string(q["group_size"].get<int>());
  return q["global_scale"].get<bool>() ? out + " +global-scale" : out;
}

std::string valueText(const Json &v) {
  return v["dtype"].get<std::string>() + " " + shapeText(v["shape"]);
}

// "1.5 MiB"-style size for totals; exact byte counts are printed too.
std::string human(uint64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width)
    s.append(width - s.size(), ' ');
  return s;
}

std::string padLeft(const std::string &s, size_t width) {
  return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

void printTensors(const Json &tensors, uint64_t total, std::ostream &out) {
  out << "tensors: " << tensors.size() << ", " << total << " bytes ("
      << human(total) << ")\n";
  if (tensors.empty())
    return;
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "DTYPE", "SHAPE", "QUANT", "BYTES"}};
  for (const Json &t : tensors)
    rows.push_back({t["name"].get<std::string>(), t["dtype"].get<std::string>(),
                    shapeText(t["shape"]), quantText(t["quant"]),
                    std::to_string(t["bytes"].get<uint64_t>())});
  std::vector<size_t> width(5, 0);
  for (const auto &row : rows)
    for (size_t c = 0; c < 5; ++c)
      width[c] = std::max(width[c], row[c].size());
  for (const auto &row : rows) {
    out << "  ";
    for (size_t c = 0; c < 4; ++c)
      out << pad(row[c], width[c]) << "  ";
    out << padLeft(row[4], width[4]) << "\n";
  }
}

void printFunction(const Json &f, std::ostream &out) {
  out << "  " << f["name"].get<std::string>() << ": " << f["values"]
      << " values, " << f["ops"] << " ops\n";
  std::string inputs;
  for (const Json &in : f["inputs"])
    inputs += (inputs.empty() ? "" : ", ") + in["name"].get<std::string>() +
              " " + valueText(in);
  out << "    inputs:  " << (inputs.empty() ? "-" : inputs) << "\n";
  std::string outputs;
  for (const Json &o : f["outputs"])
    outputs += (outputs.empty() ? "" : ", ") + valueText(o);
  out << "    outputs: " << (outputs.empty() ? "-" : outputs) << "\n";
  std::string ops;
  for (const auto &[name, n] : f["op_histogram"].items())
    ops += (ops.empty() ? "" : ", ") + name + " " + n.dump();
  out << "    ops:     " << (ops.empty() ? "-" : ops) << "\n";
}

// One line per kernel with its cubins ("-": the runtime compiles it).
void printKernels(const Json &kernels, std::ostream &out) {
  out << "kernels: " << kernels["count"] << "\n";
  size_t nameWidth = 0;
  for (const Json &n : kernels["names"])
    nameWidth = std::max(nameWidth, n.get<std::string>().size());
  std::map<std::string, std::string> cubins;
  for (const Json &c : kernels["cubins"]) {
    std::string &list = cubins[c["kernel"].get<std::string>()];
    list += (list.empty() ? "" : ", ") + c["arch"].get<std::string>() + " (" +
            human(c["bytes"].get<uint64_t>()) + ")";
  }
  for (const Json &n : kernels["names"]) {
    auto it = cubins.find(n.get<std::string>());
    out << "  " << pad(n.get<std::string>(), nameWidth)
        << "  cubins: " << (it == cubins.end() ? "-" : it->second) << "\n";
  }
}

} // namespace

void printText(const Json &s, std::ostream &out) {
  const Json &h = s["header"];
  out << "file: " << s["file"].get<std::string>() << "\n";
  out << "header:\n"
      << "  magic       " << text(h["magic"]) << "\n"
      << "  format      " << h["format_version"] << "\n"
      << "  flags       0x" << std::hex << h["flags"].get<uint32_t>()
      << std::dec << "\n"
      << "  file size   " << h["file_size"] << " bytes ("
      << human(h["file_size"].get<uint64_t>()) << ")\n"
      << "  flatbuffer  " << h["flatbuffer_size"] << " bytes at offset "
      << h["flatbuffer_offset"] << "\n"
      << "  weights     " << h["weights_size"] << " bytes at offset "
      << h["weights_offset"] << "\n";
  if (h["synthetic_weights_size"].get<uint64_t>() > 0)
    out << "  synthetic   " << h["synthetic_weights_size"]
        << " bytes of weights generated at load\n";

  const Json &m = s["model"];
  out << "model:\n"
      << "  family      " << text(m["family"]) << "\n"
      << "  model type  " << text(m["model_type"]) << "\n"
      << "  target      " << text(m["target"]) << "\n"
      << "  -qa         "
      << (m["quantize_activations"].get<bool>() ? "yes" : "no") << "\n"
      << "  compiler    " << text(m["compiler_version"]) << "\n";

  out << "embedded files: " << s["files"].size() << "\n";
  size_t nameWidth = 0;
  for (const Json &f : s["files"])
    nameWidth = std::max(nameWidth, f["name"].get<std::string>().size());
  for (const Json &f : s["files"])
    out << "  " << pad(f["name"].get<std::string>(), nameWidth) << "  "
        << f["bytes"] << " bytes\n";

  printTensors(s["tensors"], s["tensor_bytes"].get<uint64_t>(), out);

  out << "functions: " << s["functions"].size() << "\n";
  for (const Json &f : s["functions"])
    printFunction(f, out);

  printKernels(s["kernels"], out);
}

} // namespace vlmc::inspect
