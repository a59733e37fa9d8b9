// The conversion driver. Both directions follow the same shape:
//   1. validate options and inputs (config, checkpoint, names, shapes),
//   2. plan every output tensor (name, dtype, shape) so the safetensors
//      headers can be written first,
//   3. stream tensors one at a time into a staging directory,
//   4. write config.json, copy side files, rename into place.
// Peak memory is one tensor plus its quantized form.
#include "Convert.h"

#include "ConfigJson.h"
#include "OutputDir.h"
#include "TensorOps.h"
#include "vlmc/io/SafetensorsWriter.h"
#include "vlmc/model/MlxNaming.h"
#include "vlmc/model/ModelConfig.h"
#include "vlmc/model/QuantRecipe.h"
#include "vlmc/quant/Quant.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <sstream>

namespace vlmc::convert {

namespace {

using io::DType;
using io::TensorView;
using model::Family;

enum class Kind {
  kCopy,         // carried over, maybe cast / transposed
  kQuantWeight,  // packed U32 codes of a quantized layer
  kQuantScales,
  kQuantBiases,
  kGlobalScale,  // vlmc extension: nvfp4 per-tensor scale, F32 [1]
  kDequantWeight // -d: float weight rebuilt from the stored codes
};

struct Output {
  io::TensorSpec spec;
  Kind kind = Kind::kCopy;
  const TensorView *src = nullptr; // float source / packed weight
  std::string srcFile;
  std::vector<int> transpose;
  std::string layer; // module path of a (de)quantized layer
  quant::QuantSpec qspec;
  DType floatType = DType::kF32; // quantize: the weight's dtype after casting
  // -d only
  const TensorView *scales = nullptr, *biases = nullptr, *globalScale = nullptr;
};

std::string withFile(const std::string &file, const Status &s) {
  return s.message().find(file) != std::string::npos
             ? s.message()
             : file + ": " + s.message();
}

std::string specLabel(const quant::QuantSpec &q) {
  std::string s = std::string(quant::modeName(q.mode)) + " " +
                  std::to_string(q.bits) + "-bit g" +
                  std::to_string(q.groupSize);
  if (q.globalScale)
    s += " +global";
  return s;
}

std::string humanBytes(uint64_t b) {
  char buf[32];
  if (b >= (uint64_t(1) << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / (1 << 30));
  else if (b >= (1 << 20))
    std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / (1 << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024);
  return buf;
}

void drawProgress(std::ostream *os, size_t done, size_t total) {
  if (!os)
    return;
  const int width = 30;
  int filled = total ? int(done * width / total) : width;
  *os << "\r[" << std::string(size_t(filled), '#')
      << std::string(size_t(width - filled), ' ') << "] " << done << "/"
      << total << " tensors" << (done == total ? "\n" : "") << std::flush;
}

// Default float dtype: --dtype, else config torch_dtype / dtype, else
// text_config's.
std::optional<DType> configFloatDType(const ojson &config) {
  for (const ojson *c : {&config, config.contains("text_config") &&
                                          config["text_config"].is_object()
                                      ? &config["text_config"]
                                      : nullptr}) {
    if (!c)
      continue;
    for (const char *key : {"torch_dtype", "dtype"}) {
      auto it = c->find(key);
      if (it != c->end() && it->is_string())
        if (auto d = floatDTypeFromName(it->get<std::string>()))
          return d;
    }
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//


// Aligned copy of a mapped tensor (MLX headers are unpadded, so the data of a
// U32 or BF16 tensor need not be aligned in the file).
template <typename T> std::vector<T> alignedCopy(const TensorView &v) {
  std::vector<T> out(v.nbytes / sizeof(T));
  std::memcpy(out.data(), v.data, out.size() * sizeof(T));
  return out;
}

Status writeOutputs(const std::string &dir, std::vector<Output> &outs,
                    const ConvertOptions &opt) {
  std::vector<io::TensorSpec> specs;
  for (const Output &o : outs)
    specs.push_back(o.spec);
  auto writer = io::CheckpointWriter::create(
      dir, specs, {{{"format", "mlx"}}, io::HeaderStyle::kMlx});
  if (!writer)
    return writer.status();
  std::string cachedLayer;
  quant::QuantizedMatrix cached;
  float cachedGlobal = 1.0f;
  size_t done = 0;
  for (Output &o : outs) {
    const std::string &file = o.srcFile;
    auto fail = [&](const Status &s) {
      return Status(s.code(), withFile(file, s));
    };
    std::vector<uint8_t> bytes;
    const void *data = nullptr;
    size_t nbytes = 0;
    switch (o.kind) {
    case Kind::kCopy: {
      if (o.src->dtype == o.spec.dtype && o.transpose.empty()) {
        data = o.src->data; // straight from the mapped file
        nbytes = o.src->nbytes;
        break;
      }
      auto cast = castAndPermute(*o.src, o.spec.dtype, o.transpose);
      if (!cast)
        return fail(cast.status());
      bytes = std::move(cast).value();
      break;
    }
    case Kind::kQuantWeight: {
      // Cast first, then quantize the cast values: MLX casts the model to
      // the target dtype before nn.quantize, so codes and scales follow it.
      auto cast = castAndPermute(*o.src, o.floatType, {});
      if (!cast)
        return fail(cast.status());
      const int64_t cols = o.src->shape.back();
      const int64_t rows = o.src->numel() / std::max<int64_t>(cols, 1);
      auto q = quant::quantize(cast->data(), *toQuantDType(o.floatType), rows,
                               cols, o.qspec, std::nullopt, opt.numThreads);
      if (!q)
        return fail(q.status().withContext("tensor '" + o.src->name + "'"));
      cached = std::move(q).value();
      cachedLayer = o.layer;
      if (cached.globalScale.has_value())
        cachedGlobal = *cached.globalScale;
      data = cached.packed.data();
      nbytes = cached.packed.size() * 4;
      break;
    }
    case Kind::kQuantScales:
    case Kind::kQuantBiases:
    case Kind::kGlobalScale: {
      if (cachedLayer != o.layer)
        return internalError(o.spec.name + ": written before its weight");
      if (o.kind == Kind::kQuantScales) {
        data = cached.scales.data();
        nbytes = cached.scales.size();
      } else if (o.kind == Kind::kQuantBiases) {
        data = cached.biases.data();
        nbytes = cached.biases.size();
      } else {
        bytes.resize(4);
        std::memcpy(bytes.data(), &cachedGlobal, 4);
      }
      break;
    }
    case Kind::kDequantWeight: {
      const int64_t cols = o.spec.shape.back();
      const int64_t rows = o.spec.shape.empty() || cols == 0
                               ? 0
                               : (io::checkedNumel(o.spec.shape).value_or(0) / cols);
      auto packed = alignedCopy<uint32_t>(*o.src);
      std::vector<uint8_t> scales(o.scales->data,
                                  o.scales->data + o.scales->nbytes);
      std::vector<uint8_t> biases;
      if (o.biases)
        biases.assign(o.biases->data, o.biases->data + o.biases->nbytes);
      std::optional<float> g;
      if (o.globalScale) {
        float v;
        std::memcpy(&v, o.globalScale->data, 4);
        g = v;
      }
      bytes.resize(size_t(rows * cols) * io::dtypeSize(o.spec.dtype));
      Status s = quant::dequantize(
          packed.data(), scales.data(), o.biases ? biases.data() : nullptr,
          *toQuantDType(o.scales->dtype), rows, cols, o.qspec, g,
          *toQuantDType(o.spec.dtype), bytes.data(), opt.numThreads);
      if (!s)
        return fail(s.withContext("layer '" + o.layer + "'"));
      break;
    }
    }
    if (!data) {
      data = bytes.data();
      nbytes = bytes.size();
    }
    VLMC_RETURN_IF_ERROR((*writer)->write(data, nbytes));
    ++done;
    drawProgress(opt.progress, done, outs.size());
  }
  return (*writer)->finish();
}

// Parameters MLX counts for bits-per-weight (quant_utils.get_total_parameters):
// a quantized weight counts as its unpacked element count, scales and
// biases not at all.
double bitsPerWeight(const std::vector<Output> &outs) {
  uint64_t bytes = 0, params = 0;
  for (const Output &o : outs) {
    uint64_t n = uint64_t(io::checkedNumel(o.spec.shape).value_or(0));
    bytes += n * io::dtypeSize(o.spec.dtype);
    if (o.kind == Kind::kQuantWeight)
      params += uint64_t(o.src->numel());
    else if (o.kind == Kind::kCopy || o.kind == Kind::kDequantWeight)
      params += n;
  }
  return params ? double(bytes) * 8.0 / double(params) : 0.0;
}

void sortOutputs(std::vector<Output> &outs, std::optional<Family> family) {
  std::stable_sort(outs.begin(), outs.end(),
                   [&](const Output &a, const Output &b) {
                     return family ? model::mlxModuleLess(*family, a.spec.name,
                                                   b.spec.name)
                                   : a.spec.name < b.spec.name;
                   });
}

uint64_t totalBytes(const std::vector<Output> &outs) {
  uint64_t b = 0;
  for (const Output &o : outs)
    b += io::specBytes(o.spec).value_or(0);
  return b;
}

uint64_t checkpointBytes(const io::Checkpoint &ck) {
  uint64_t b = 0;
  for (const auto &f : ck.files())
    for (const auto &t : f.tensors())
      b += t.nbytes;
  return b;
}

//===----------------------------------------------------------------------===//
// HF -> MLX
//===----------------------------------------------------------------------===//

struct Resolved {
  model::QuantRecipe recipe; // which layers to quantize, and how
  std::optional<DType> dtype; // cast target
};

Result<Resolved> resolveQuantOptions(const ConvertOptions &opt) {
  Resolved r;
  model::QuantOptions q;
  q.mode = opt.mode;
  // Without -q, --q-bits and --q-group-size are ignored (as by mlx_vlm), but
  // the mode, --nvfp4-global-scale and the recipe name are still checked.
  if (opt.quantize) {
    q.bits = opt.bits;
    q.groupSize = opt.groupSize;
  }
  q.predicate = opt.quantPredicate;
  q.quantizeVision = opt.quantizeVision;
  q.nvfp4GlobalScale = opt.nvfp4GlobalScale;
  auto recipe = model::QuantRecipe::create(q);
  if (!recipe)
    return recipe.status();
  r.recipe = std::move(recipe).value();
  if (!opt.dtype.empty()) {
    r.dtype = floatDTypeFromName(opt.dtype);
    if (!r.dtype)
      return invalidArgument("invalid --dtype '" + opt.dtype +
                             "' (float16, bfloat16 or float32)");
  }
  return r;
}

struct Source {
  std::string hfName;
  const TensorView *view;
  std::string file;
};

// All source tensors plus those aliased in safetensors metadata
// (model::sourceTensors). MLX ignores the alias and fails to load such a
// model; we materialise it.
std::vector<Source> collectSources(const io::Checkpoint &ck) {
  std::vector<Source> out;
  for (const model::SourceTensor &t : model::sourceTensors(ck))
    out.push_back({t.name, ck.find(t.storedAs), ck.fileOf(t.storedAs)});
  return out;
}

// The model's architecture from config.json (as loaded, generation_config
// merged). vlm-convert only renames tensors, so it also takes what mlx_vlm
// resolves to a supported model: any letter case, and mistral (llama in
// mlx_vlm's MODEL_REMAPPING). The shared parser knows only canonical names.
Result<model::ModelConfig> parseConfig(ojson config,
                                       const std::string &configPath) {
  auto mt = config.find("model_type");
  if (mt != config.end() && mt->is_string()) {
    std::string t = mt->get<std::string>();
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (t == "mistral")
      t = "llama";
    for (const char *known :
         {"qwen2_vl", "qwen2_5_vl", "idefics3", "smolvlm", "llama"})
      if (t == known)
        *mt = t;
  }
  return model::parseModelConfig(
      config.dump(-1, ' ', false, ojson::error_handler_t::replace),
      configPath);
}

Result<ConvertSummary> convertToMlx(const ConvertOptions &opt, OutputDir &out,
                                    ConvertSummary sum) {
  auto resolved = resolveQuantOptions(opt);
  if (!resolved)
    return resolved.status();
  Resolved &r = *resolved;

  auto config = loadModelConfig(opt.hfPath);
  if (!config)
    return config.status();
  const std::string configPath = opt.hfPath + "/config.json";
  if (config->contains("quantization"))
    return invalidArgument(configPath +
                           ": the model is already quantized (MLX "
                           "\"quantization\" present); use -d to dequantize "
                           "it first");
  auto model = parseConfig(*config, configPath);
  if (!model)
    return model.status();
  if (!r.dtype)
    r.dtype = configFloatDType(*config);

  auto ck = io::Checkpoint::open(opt.hfPath);
  if (!ck)
    return ck.status();
  sum.bytesIn = checkpointBytes(*ck);

  // Map names, drop unused buffers, validate shapes against the config.
  std::map<std::string, Source> byMlx;
  for (const Source &s : collectSources(*ck)) {
    auto m = model::mapName(*model, s.hfName, s.view->shape);
    if (!m) {
      sum.dropped.push_back(s.hfName);
      continue;
    }
    auto [it, inserted] = byMlx.emplace(m->mlxName, s);
    if (!inserted)
      return invalidArgument(s.file + ": tensors '" + it->second.hfName +
                             "' and '" + s.hfName + "' both map to '" +
                             m->mlxName + "'");
    int64_t layer = model::textLayerIndex(*model, m->mlxName);
    if (layer >= model->text.layers)
      return invalidArgument(s.file + ": tensor '" + s.hfName + "': layer " +
                             std::to_string(layer) +
                             " but config.json has num_hidden_layers = " +
                             std::to_string(model->text.layers));
    if (auto want = model::expectedTextShape(*model, m->mlxName)) {
      if (*want != s.view->shape) {
        auto str = [](const std::vector<int64_t> &v) {
          std::string t = "[";
          for (size_t i = 0; i < v.size(); ++i)
            t += (i ? ", " : "") + std::to_string(v[i]);
          return t + "]";
        };
        return invalidArgument(s.file + ": tensor '" + s.hfName + "': shape " +
                               str(s.view->shape) + " does not match " +
                               configPath + " (expected " + str(*want) + ")");
      }
    }
  }
  for (const std::string &req : model::requiredTextTensors(*model))
    if (!byMlx.count(req))
      return notFound(opt.hfPath + ": checkpoint has no tensor for '" + req +
                      "'");

  // Mixed recipes locate the layer index from the language model's down_proj
  // (a no-op without a recipe).
  std::vector<std::string> mlxNames;
  for (const auto &[name, src] : byMlx)
    mlxNames.push_back(name);
  VLMC_RETURN_IF_ERROR(r.recipe.locateLayers(mlxNames, model->text.layers));

  // Plan outputs.
  std::vector<Output> outs;
  std::vector<std::pair<std::string, ojson>> layerEntries;
  for (const auto &[name, src] : byMlx) {
    const TensorView &v = *src.view;
    auto mapped = model::mapName(*model, src.hfName, v.shape);
    Output o;
    o.src = src.view;
    o.srcFile = src.file;
    o.transpose = mapped->transpose;
    o.spec = {name, v.dtype, permuteShape(v.shape, o.transpose)};
    if (io::isFloat(v.dtype) && r.dtype)
      o.spec.dtype = *r.dtype;

    // Quantizable: the 2-D weight of a Linear or Embedding (in these model
    // families every 2-D ".weight" is one of those).
    const bool isWeight = name.size() > 7 &&
                          name.compare(name.size() - 7, 7, ".weight") == 0;
    if (opt.quantize && isWeight && v.shape.size() == 2 && io::isFloat(v.dtype)) {
      const std::string layer = name.substr(0, name.size() - 7);
      const int64_t in = v.shape[1];
      const model::LayerChoice choice = r.recipe.choose(layer, in);
      if (choice.notDivisible)
        sum.notDivisible.push_back(layer);
      if (const std::optional<quant::QuantSpec> &q = choice.spec) {
        if (o.spec.dtype == DType::kF64)
          return invalidArgument(src.file + ": tensor '" + src.hfName +
                                 "': F64 weights need --dtype to be quantized");
        o.floatType = o.spec.dtype;
        o.kind = Kind::kQuantWeight;
        o.layer = layer;
        o.qspec = *q;
        const int64_t rows = v.shape[0];
        o.spec = {name, DType::kU32,
                  {rows, quant::packedWordsPerRow(*q, in)}};
        std::vector<int64_t> sshape = {rows, quant::groupsPerRow(*q, in)};
        DType sdt = toIoDType(
            quant::scaleDType(*q, *toQuantDType(o.floatType)));
        Output sc = o;
        sc.kind = Kind::kQuantScales;
        sc.spec = {layer + ".scales", sdt, sshape};
        outs.push_back(o);
        outs.push_back(sc);
        if (q->mode == quant::Mode::kAffine) {
          Output bi = sc;
          bi.kind = Kind::kQuantBiases;
          bi.spec.name = layer + ".biases";
          outs.push_back(bi);
        }
        if (q->globalScale) {
          Output gs = sc;
          gs.kind = Kind::kGlobalScale;
          gs.spec = {layer + ".global_scale", DType::kF32, {1}};
          outs.push_back(gs);
        }
        sum.quantizedLayers[specLabel(*q)]++;
        if (choice.perLayerEntry)
          layerEntries.emplace_back(
              layer, ojson{{"group_size", q->groupSize}, {"bits", q->bits}});
        continue;
      }
    }
    outs.push_back(o);
  }
  sortOutputs(outs, model->family);
  std::stable_sort(layerEntries.begin(), layerEntries.end(),
                   [&](const auto &a, const auto &b) {
                     return model::mlxModuleLess(model->family, a.first, b.first);
                   });

  VLMC_RETURN_IF_ERROR(writeOutputs(out.stagingPath(), outs, opt));

  ojson cfg = *config;
  if (opt.quantize) {
    if (!cfg.contains("vision_config"))
      cfg["vision_config"] = ojson::object(); // convert's setdefault
    ojson q = ojson::object();
    const quant::QuantSpec &global = r.recipe.global();
    q["group_size"] = global.groupSize;
    q["bits"] = global.bits;
    q["mode"] = quant::modeName(global.mode);
    for (auto &[layer, entry] : layerEntries)
      q[layer] = entry;
    cfg["quantization"] = q;
    cfg["quantization_config"] = q;
  }
  VLMC_RETURN_IF_ERROR(writeTextFile(out.stagingPath() + "/config.json",
                                     mlxConfigText(std::move(cfg))));
  VLMC_RETURN_IF_ERROR(copySideFiles(opt.hfPath, out.stagingPath()));
  sum.tensorsWritten = int(outs.size());
  sum.bytesOut = totalBytes(outs);
  sum.bitsPerWeight = bitsPerWeight(outs);
  return sum;
}

//===----------------------------------------------------------------------===//
// MLX quantized -> dense (-d)
//===----------------------------------------------------------------------===//

// Quantization parameters of one layer: the per-path entry (also tried
// without the "language_model." prefix, as mlx_vlm's loader does), else the
// top-level ones; a missing "mode" means affine.
Result<quant::QuantSpec> layerSpec(const ojson &q, const std::string &layer,
                                   const std::string &configPath) {
  const ojson *params = &q;
  for (std::string alias :
       {layer, layer.rfind("language_model.", 0) == 0 ? layer.substr(15)
                                                      : std::string()}) {
    if (alias.empty())
      continue;
    auto it = q.find(alias);
    if (it == q.end())
      continue;
    if (it->is_boolean() && !it->get<bool>())
      return invalidArgument(configPath + ": layer '" + layer +
                             "' is marked unquantized but has scales");
    if (it->is_object()) {
      params = &*it;
      break;
    }
  }
  auto num = [&](const char *key, const ojson *first) -> std::optional<int> {
    for (const ojson *p : {first, &q}) {
      auto it = p->find(key);
      if (it != p->end() && it->is_number_integer())
        return it->get<int>();
    }
    return std::nullopt;
  };
  quant::QuantSpec s;
  std::string mode = "affine";
  auto m = params->find("mode");
  if (params != &q) {
    // A per-layer dict without "mode" is affine (to_quantized's default).
    if (m != params->end() && m->is_string())
      mode = m->get<std::string>();
  } else if (m != q.end() && m->is_string()) {
    mode = m->get<std::string>();
  }
  auto parsed = quant::parseMode(mode, "dequantize");
  if (!parsed)
    return Status(parsed.status().code(),
                  configPath + ": layer '" + layer + "': " +
                      parsed.status().message());
  s = quant::defaultSpec(*parsed);
  if (auto g = num("group_size", params))
    s.groupSize = *g;
  if (auto b = num("bits", params))
    s.bits = *b;
  return s;
}

Result<ConvertSummary> convertFromMlx(const ConvertOptions &opt, OutputDir &out,
                                      ConvertSummary sum) {
  std::optional<DType> target;
  if (!opt.dtype.empty()) {
    target = floatDTypeFromName(opt.dtype);
    if (!target)
      return invalidArgument("invalid --dtype '" + opt.dtype +
                             "' (float16, bfloat16 or float32)");
  }
  auto config = loadModelConfig(opt.hfPath);
  if (!config)
    return config.status();
  const std::string configPath = opt.hfPath + "/config.json";
  const ojson *q = nullptr;
  for (const char *key : {"quantization", "quantization_config"}) {
    auto it = config->find(key);
    if (it != config->end() && it->is_object()) {
      q = &*it;
      break;
    }
  }
  if (!q)
    return invalidArgument(configPath +
                           ": not an MLX quantized model (no \"quantization\")");
  std::optional<Family> family;
  if (auto m = parseConfig(*config, configPath))
    family = m->family;

  auto ck = io::Checkpoint::open(opt.hfPath);
  if (!ck)
    return ck.status();
  sum.bytesIn = checkpointBytes(*ck);

  // The output dtype of dequantized weights: --dtype, else the model's float
  // dtype from the config, else the affine scale dtype, else bfloat16
  // (mx.dequantize's default for the fp modes).
  std::optional<DType> modelDType = target ? target : configFloatDType(*config);

  std::vector<Output> outs;
  for (const std::string &name : ck->names()) {
    const TensorView *v = ck->find(name);
    const std::string &file = ck->fileOf(name);
    auto endsWith = [&](const char *suf) {
      size_t n = std::strlen(suf);
      return name.size() > n && name.compare(name.size() - n, n, suf) == 0;
    };
    auto layerOf = [&](const char *suf) {
      return name.substr(0, name.size() - std::strlen(suf));
    };
    // Parts of a quantized layer are consumed together with its weight.
    bool part = false;
    for (const char *suf : {".scales", ".biases", ".global_scale"})
      if (endsWith(suf)) {
        std::string l = layerOf(suf);
        part = ck->find(l + ".weight") && ck->find(l + ".scales");
      }
    if (part)
      continue;
    Output o;
    o.src = v;
    o.srcFile = file;
    o.spec = {name, v->dtype, v->shape};
    const std::string layer = endsWith(".weight") ? layerOf(".weight") : "";
    const TensorView *scales =
        layer.empty() ? nullptr : ck->find(layer + ".scales");
    if (!scales) { // not quantized: carried over, cast with --dtype
      if (io::isFloat(v->dtype) && target)
        o.spec.dtype = *target;
      outs.push_back(o);
      continue;
    }
    auto spec = layerSpec(*q, layer, configPath);
    if (!spec)
      return spec.status();
    o.kind = Kind::kDequantWeight;
    o.layer = layer;
    o.qspec = *spec;
    o.scales = scales;
    o.biases = ck->find(layer + ".biases");
    o.globalScale = ck->find(layer + ".global_scale");
    auto bad = [&](const std::string &what) {
      return dataLoss(file + ": tensor '" + name + "': " + what);
    };
    auto sdt = toQuantDType(scales->dtype);
    if (v->dtype != DType::kU32 || v->shape.size() < 2)
      return bad("a quantized weight must be U32 with rank >= 2");
    if (!sdt)
      return bad(std::string("unsupported scales dtype ") +
                 io::dtypeName(scales->dtype));
    const bool affine = spec->mode == quant::Mode::kAffine;
    if (affine != quant::isFloatDType(*sdt))
      return bad(affine ? "affine scales must be float"
                        : "fp-mode scales must be uint8");
    if (spec->bits <= 0 || spec->bits > 8 || spec->groupSize <= 0)
      return bad("invalid bits/group_size in " + configPath);
    const int64_t words = v->shape.back();
    const int64_t cols = words * 32 / spec->bits;
    std::vector<int64_t> lead(v->shape.begin(), v->shape.end() - 1);
    std::vector<int64_t> wantScales = lead;
    wantScales.push_back(cols / spec->groupSize);
    if ((words * 32) % spec->bits != 0 || cols % spec->groupSize != 0 ||
        scales->shape != wantScales)
      return bad(layer + ".scales shape does not match " +
                 std::to_string(spec->bits) + "-bit group " +
                 std::to_string(spec->groupSize) + " codes");
    if (affine && (!o.biases || o.biases->shape != scales->shape ||
                   o.biases->dtype != scales->dtype))
      return bad("affine layer needs " + layer +
                 ".biases matching its scales");
    if (!affine && o.biases)
      return bad(layer + ".biases present for mode " + quant::modeName(spec->mode));
    if (o.globalScale) {
      if (spec->mode != quant::Mode::kNvfp4 ||
          o.globalScale->dtype != DType::kF32 || o.globalScale->numel() != 1)
        return bad(layer + ".global_scale must be F32 [1] on an nvfp4 layer");
      o.qspec.globalScale = true;
    }
    DType outType = modelDType ? *modelDType
                    : affine   ? scales->dtype
                               : DType::kBF16;
    o.spec = {name, outType, lead};
    o.spec.shape.push_back(cols);
    outs.push_back(o);
    sum.dequantizedLayers++;
  }
  sortOutputs(outs, family);
  VLMC_RETURN_IF_ERROR(writeOutputs(out.stagingPath(), outs, opt));
  ojson cfg = *config;
  cfg.erase("quantization");
  cfg.erase("quantization_config");
  VLMC_RETURN_IF_ERROR(writeTextFile(out.stagingPath() + "/config.json",
                                     mlxConfigText(std::move(cfg))));
  VLMC_RETURN_IF_ERROR(copySideFiles(opt.hfPath, out.stagingPath()));
  sum.tensorsWritten = int(outs.size());
  sum.bytesOut = totalBytes(outs);
  sum.bitsPerWeight = bitsPerWeight(outs);
  return sum;
}

} // namespace

std::string ConvertSummary::line() const {
  std::ostringstream os;
  os << "wrote " << tensorsWritten << " tensors";
  if (!quantizedLayers.empty()) {
    int total = 0;
    std::string parts;
    for (const auto &[label, n] : quantizedLayers) {
      total += n;
      parts += (parts.empty() ? "" : ", ") + label + ": " + std::to_string(n);
    }
    os << ", quantized " << total << " layers (" << parts << ")";
  }
  if (!notDivisible.empty())
    os << ", " << notDivisible.size()
       << " kept float (input dim not divisible by group size)";
  if (dequantizedLayers)
    os << ", dequantized " << dequantizedLayers << " layers";
  char bpw[32];
  std::snprintf(bpw, sizeof bpw, "%.3f", bitsPerWeight);
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.2f", seconds);
  os << ", " << bpw << " bits per weight, " << humanBytes(bytesIn) << " -> "
     << humanBytes(bytesOut) << ", " << secs << " s";
  return os.str();
}

Result<ConvertSummary> convert(const ConvertOptions &options) {
  try {
    auto start = std::chrono::steady_clock::now();
    if (options.quantize && options.dequantize)
      return invalidArgument("Choose either quantize or dequantize, not both.");
    if (options.hfPath.empty())
      return invalidArgument("--hf-path is required");
    if (options.mlxPath.empty())
      return invalidArgument("--mlx-path is required");
    // Validate the quantization flags before touching the file system.
    if (!options.dequantize) {
      auto r = resolveQuantOptions(options);
      if (!r)
        return r.status();
    }
    auto out = OutputDir::create(options.mlxPath, options.force);
    if (!out)
      return out.status();
    auto sum = options.dequantize
                   ? convertFromMlx(options, *out, ConvertSummary())
                   : convertToMlx(options, *out, ConvertSummary());
    if (!sum)
      return sum.status(); // ~OutputDir removes the staging directory
    VLMC_RETURN_IF_ERROR(out->commit());
    sum->seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
    return sum;
  } catch (const std::exception &e) {
    return internalError(std::string("vlm-convert: ") + e.what());
  }
}

} // namespace vlmc::convert
