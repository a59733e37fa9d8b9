// vlmc-kernel-check: runs every generated CUDA kernel (compiler/codegen)
// over a grid of op specializations and shapes and compares it with the CPU
// backend (vlmc_cpu) on the same inputs.
//
// For each case: generate and NVRTC-compile the kernel for the device's
// arch, upload fresh random inputs, poison the output (all bytes 0xFF, NaN
// in bf16 and f32), plan the launch with vlmc::cuda::planLaunch (zeroed
// workspace when asked for), run it twice, and compare:
//   max abs err = max |gpu - cpu|;  max rel err = max abs err / max |cpu|
// against 1e-5 (f32) or 1e-2 (bf16); any NaN where the reference has none
// fails. The two runs must agree bit for bit (determinism, and the
// workspace counters reset themselves), and the workspace counters must be
// zero afterwards.
//
//   vlmc-kernel-check [--filter a,b] [--json out.json] [--time] [--list]
//                     [--seed N]
// --time adds the time per kernel (us) from a CUDA graph of 20 launches.
// Exit status: 0 all passed, 1 some case failed, 2 no CUDA device.
#include "CheckCases.h"
#include "FlatOp.h"

#include "compiler/codegen/Codegen.h"
#include "compiler/codegen/Internal.h"
#include "vlmc/cuda/Device.h"
#include "vlmc/cuda/KernelAbi.h"
#include "vlmc/cuda/Nvrtc.h"
#include "vlmc/quant/Quant.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace vlmc;

namespace {

struct Options {
  std::vector<std::string> filters;
  std::string json;
  bool time = false;
  bool list = false;
  uint64_t seed = 1;
};

bool matches(const Options &o, const std::string &name) {
  if (o.filters.empty())
    return true;
  for (const std::string &f : o.filters)
    if (name.find(f) != std::string::npos)
      return true;
  return false;
}

struct Outcome {
  std::string name, op, dtype, shape, kernel, error;
  double maxAbs = 0, maxRel = 0, tolerance = 0, micros = -1;
  bool pass = false;
};

float toFloat(fb::DType dt, const uint8_t *p) {
  if (dt == fb::DType::BF16) {
    uint32_t u = uint32_t(p[0] | (p[1] << 8)) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  if (dt == fb::DType::I32) { // indices (ArgMax), compared exactly
    int32_t i;
    std::memcpy(&i, p, 4);
    return float(i);
  }
  float f;
  std::memcpy(&f, p, 4);
  return f;
}

size_t elementSize(fb::DType dt) {
  switch (dt) {
  case fb::DType::F16:
  case fb::DType::BF16: return 2;
  case fb::DType::U8: return 1;
  case fb::DType::I64: return 8;
  default: return 4;
  }
}

class Checker {
public:
  explicit Checker(cuda::Device &device) : device_(device) {}

  Outcome run(const check::CaseSpec &spec, const Options &opts);
  // Compiles the kernels of these cases in parallel (NVRTC is the slow
  // part of a run); failures are left for run() to report.
  void precompile(const std::vector<const check::CaseSpec *> &specs);

private:
  Result<cuda::Function> kernel(const codegen::KernelSource &k);
  Status execute(check::Case &c, const codegen::KernelSource &k, const Options &opts,
                 Outcome &out);

  cuda::Device &device_;
  cpu::ThreadPool pool_;
  std::map<std::string, cuda::Module> modules_;
};

Result<cuda::Function> Checker::kernel(const codegen::KernelSource &k) {
  auto it = modules_.find(k.name);
  if (it == modules_.end()) {
    Result<std::string> cubin =
        cuda::compileToCubin(k.source, k.name, device_.properties().arch());
    if (!cubin)
      return cubin.status();
    Result<cuda::Module> module = device_.loadModule(*cubin);
    if (!module)
      return module.status();
    it = modules_.emplace(k.name, std::move(*module)).first;
  }
  return it->second.function(k.name);
}

void Checker::precompile(const std::vector<const check::CaseSpec *> &specs) {
  std::map<std::string, codegen::KernelSource> unique;
  for (const check::CaseSpec *spec : specs) {
    Result<check::Case> c = spec->build(pool_, /*descOnly=*/true);
    if (!c)
      continue;
    Result<codegen::KernelSource> k = codegen::generateKernel(c->desc);
    if (k && !modules_.count(k->name))
      unique.emplace(k->name, std::move(*k));
  }
  std::vector<const codegen::KernelSource *> todo;
  for (const auto &entry : unique)
    todo.push_back(&entry.second);
  std::vector<Result<std::string>> cubins(todo.size(), Result<std::string>(std::string()));
  std::atomic<size_t> next{0};
  const std::string arch = device_.properties().arch();
  auto worker = [&] {
    for (size_t i; (i = next++) < todo.size();)
      cubins[i] = cuda::compileToCubin(todo[i]->source, todo[i]->name, arch);
  };
  std::vector<std::thread> threads;
  const unsigned n = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned t = 0; t < n; ++t)
    threads.emplace_back(worker);
  for (std::thread &t : threads)
    t.join();
  for (size_t i = 0; i < todo.size(); ++i) {
    if (!cubins[i])
      continue;
    Result<cuda::Module> module = device_.loadModule(*cubins[i]);
    if (module)
      modules_.emplace(todo[i]->name, std::move(*module));
  }
  std::printf("compiled %zu kernels for %s\n", todo.size(), arch.c_str());
}

Outcome Checker::run(const check::CaseSpec &spec, const Options &opts) {
  Outcome out;
  out.name = spec.name();
  out.op = spec.op;
  out.dtype = spec.dtype == fb::DType::BF16 ? "bf16" : "f32";
  out.shape = spec.shape;
  Result<check::Case> c = spec.build(pool_, /*descOnly=*/false);
  if (!c) {
    out.error = "reference: " + c.status().message();
    return out;
  }
  out.tolerance = c->tolerance;
  Result<codegen::KernelSource> k = codegen::generateKernel(c->desc);
  if (!k) {
    out.error = "codegen: " + k.status().message();
    return out;
  }
  out.kernel = k->name;
  Status s = execute(*c, *k, opts, out);
  if (!s.isOk())
    out.error = s.message();
  return out;
}

Status Checker::execute(check::Case &c, const codegen::KernelSource &k, const Options &opts,
                        Outcome &out) {
  Result<cuda::Function> fn = kernel(k);
  if (!fn)
    return fn.status();

  // Inputs.
  std::vector<cuda::DeviceBuffer> buffers;
  std::vector<cuda::DeviceTensor> inputs;
  std::vector<int32_t> ids;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const check::HostTensor &h = c.inputs[i];
    cuda::DeviceTensor t;
    if (h.present) {
      Result<cuda::DeviceBuffer> b = device_.allocate(h.bytes.size());
      if (!b)
        return b.status();
      VLMC_RETURN_IF_ERROR(device_.copyToDevice(*b, h.bytes.data(), h.bytes.size()));
      t.data = reinterpret_cast<void *>(b->ptr());
      t.dtype = h.dtype;
      t.shape = h.shape;
      buffers.push_back(std::move(*b));
    }
    inputs.push_back(t);
    ids.push_back(h.present ? int32_t(i + 1) : -1);
  }

  // Output: a fresh poisoned buffer, or the in-place input.
  cuda::DeviceTensor output;
  output.dtype = c.outDtype;
  output.shape = c.outShape;
  const size_t outBytes = size_t(output.numel()) * elementSize(c.outDtype);
  cuda::DeviceBuffer outBuffer;
  if (c.inPlace >= 0) {
    output.data = inputs[size_t(c.inPlace)].data;
  } else {
    Result<cuda::DeviceBuffer> b = device_.allocate(std::max<size_t>(outBytes, 16));
    if (!b)
      return b.status();
    outBuffer = std::move(*b);
    VLMC_RETURN_IF_ERROR(device_.fill(outBuffer, 0xFF, outBytes));
    output.data = reinterpret_cast<void *>(outBuffer.ptr());
  }

  // A second output (AddRmsNorm's normalized rows), poisoned the same way,
  // unless it is an input updated in place (the value cache).
  const bool secondFresh = c.outputs == 2 && c.secondInPlace < 0;
  cuda::DeviceTensor secondOutput = output;
  cuda::DeviceBuffer secondBuffer;
  if (secondFresh) {
    Result<cuda::DeviceBuffer> b = device_.allocate(std::max<size_t>(outBytes, 16));
    if (!b)
      return b.status();
    secondBuffer = std::move(*b);
    VLMC_RETURN_IF_ERROR(device_.fill(secondBuffer, 0xFF, outBytes));
    secondOutput.data = reinterpret_cast<void *>(secondBuffer.ptr());
  }

  codegen::test::FlatOp flat(c.desc, k, ids);
  Result<cuda::Launch> launch = cuda::planLaunch(flat.op(), flat.kernel(), inputs, output,
                                                 secondFresh ? &secondOutput : nullptr);
  if (!launch)
    return launch.status();
  cuda::DeviceBuffer workspace;
  if (launch->workspaceBytes > 0) {
    Result<cuda::DeviceBuffer> b = device_.allocate(launch->workspaceBytes);
    if (!b)
      return b.status();
    workspace = std::move(*b);
    VLMC_RETURN_IF_ERROR(device_.fill(workspace, 0, launch->workspaceBytes));
    launch->args.p[cuda::kWorkspacePointer] = reinterpret_cast<void *>(workspace.ptr());
  }

  auto go = [&]() -> Status {
    if (launch->skip)
      return Status::ok();
    void *params[] = {&launch->args};
    return device_.launch(*fn, cuda::Dim3{launch->grid[0], launch->grid[1], launch->grid[2]},
                          cuda::Dim3{launch->block, 1, 1}, launch->sharedBytes, params);
  };
  const cuda::DeviceBuffer &outBuf = c.inPlace >= 0 ? buffers[size_t(c.inPlace)] : outBuffer;
  const cuda::DeviceBuffer &secondBuf =
      c.secondInPlace >= 0 ? buffers[size_t(c.secondInPlace)] : secondBuffer;
  // Runs the kernel and reads back every output, one after the other.
  auto runAndRead = [&](std::vector<uint8_t> &bytes) -> Status {
    VLMC_RETURN_IF_ERROR(go());
    VLMC_RETURN_IF_ERROR(device_.synchronize());
    bytes.assign(outBytes * size_t(c.outputs), 0);
    VLMC_RETURN_IF_ERROR(device_.copyToHost(bytes.data(), outBuf, outBytes));
    if (c.outputs == 2)
      VLMC_RETURN_IF_ERROR(device_.copyToHost(bytes.data() + outBytes, secondBuf, outBytes));
    return device_.synchronize();
  };
  std::vector<uint8_t> first, second;
  VLMC_RETURN_IF_ERROR(runAndRead(first));
  // Second run (same inputs; the in-place write is idempotent).
  if (c.inPlace < 0)
    VLMC_RETURN_IF_ERROR(device_.fill(outBuffer, 0xFF, outBytes));
  if (secondFresh)
    VLMC_RETURN_IF_ERROR(device_.fill(secondBuffer, 0xFF, outBytes));
  VLMC_RETURN_IF_ERROR(runAndRead(second));

  double maxAbs = 0, refMax = 0;
  size_t nans = 0;
  for (size_t i = 0; i < c.expected.size(); ++i) {
    const float g = toFloat(c.outDtype, &first[i * elementSize(c.outDtype)]);
    const float e = c.expected[i];
    refMax = std::max(refMax, double(std::fabs(e)));
    if (std::isnan(g) != std::isnan(e)) {
      ++nans;
      continue;
    }
    if (!std::isnan(e))
      maxAbs = std::max(maxAbs, double(std::fabs(g - e)));
  }
  out.maxAbs = maxAbs;
  out.maxRel = maxAbs / (refMax > 0 ? refMax : 1.0);
  out.pass = nans == 0 && out.maxRel <= c.tolerance;
  if (nans)
    out.error = std::to_string(nans) + " NaN mismatches (unwritten output?)";
  if (first != second) {
    out.pass = false;
    out.error += (out.error.empty() ? "" : "; ") + std::string("second run differs");
  }
  if (launch->workspaceBytes > 0) {
    std::vector<uint8_t> counters(cuda::kWorkspaceCounterBytes);
    VLMC_RETURN_IF_ERROR(device_.copyToHost(counters.data(), workspace, counters.size()));
    VLMC_RETURN_IF_ERROR(device_.synchronize());
    for (uint8_t b : counters)
      if (b != 0) {
        out.pass = false;
        out.error += (out.error.empty() ? "" : "; ") + std::string("workspace counters not reset");
        break;
      }
  }

  if (opts.time && !launch->skip) {
    // 20 launches captured in a CUDA graph, as the runtime replays decode
    // steps: the time per kernel without the host's launch overhead (which
    // is ~4 us per plain launch and would hide every small kernel).
    Result<cuda::Event> start = device_.createEvent(), stop = device_.createEvent();
    if (!start || !stop)
      return start ? stop.status() : start.status();
    const int reps = 20;
    VLMC_RETURN_IF_ERROR(device_.beginCapture());
    Status captured = Status::ok();
    for (int r = 0; r < reps && captured.isOk(); ++r)
      captured = go();
    Result<cuda::Graph> graph = device_.endCapture();
    VLMC_RETURN_IF_ERROR(captured);
    if (!graph)
      return graph.status();
    VLMC_RETURN_IF_ERROR(device_.replay(*graph)); // warm-up
    VLMC_RETURN_IF_ERROR(device_.record(*start));
    VLMC_RETURN_IF_ERROR(device_.replay(*graph));
    VLMC_RETURN_IF_ERROR(device_.record(*stop));
    VLMC_RETURN_IF_ERROR(stop->synchronize());
    Result<float> ms = cuda::Event::elapsedMs(*start, *stop);
    if (ms)
      out.micros = *ms * 1000.0 / reps;
  }
  return Status::ok();
}


// The device codecs of the kernel prelude (bf16, E4M3, E2M1, E8M0, f16)
// against vlmc_quant's: every decode input, and encodes of all 2^16 bf16
// patterns (specials, subnormals, every range), random fp32 patterns and the
// E4M3/E2M1 rounding midpoints.
const char *kCodecKernel = R"cuda(
extern "C" __global__ void vlm_codec_check(KernelArgs a) {
  const i64 i = (i64)blockIdx.x * 256 + threadIdx.x;
  if (i >= a.d[0]) return;
  const float v = ((const float *)a.p[1])[i];
  u32 *o = (u32 *)a.p[0] + i * 8;
  o[0] = e4m3_encode(v);
  o[1] = e2m1_encode(v);
  o[2] = e8m0_encode_ceil(fabsf(v));
  o[3] = f32_to_bf16(v);
  o[4] = __float_as_uint(e4m3_value((u32)i & 0xFFu));
  o[5] = __float_as_uint(e2m1_value((u32)i & 0xFu));
  o[6] = __float_as_uint(e8m0_value((u32)i & 0xFFu));
  o[7] = __float_as_uint(f16_to_f32((u32)i & 0xFFFFu));
}
)cuda";

bool sameFloat(uint32_t a, float b) {
  float fa;
  std::memcpy(&fa, &a, 4);
  if (std::isnan(fa) || std::isnan(b))
    return std::isnan(fa) && std::isnan(b);
  uint32_t bb;
  std::memcpy(&bb, &b, 4);
  return a == bb;
}

Outcome checkCodecs(cuda::Device &device) {
  Outcome o;
  o.op = "Codecs";
  o.dtype = "-";
  o.shape = "e4m3/e2m1/e8m0/bf16/f16";
  o.name = "Codecs";
  std::vector<float> in;
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint32_t u = h << 16;
    float f;
    std::memcpy(&f, &u, 4);
    in.push_back(f);
  }
  std::mt19937 gen(7);
  for (int i = 0; i < 65536; ++i) {
    const uint32_t u = gen();
    float f;
    std::memcpy(&f, &u, 4);
    in.push_back(f);
  }
  for (int c = 0; c < 127; ++c) { // E4M3 midpoints and their neighbours
    const float a = quant::decodeE4M3(uint8_t(c)), b = quant::decodeE4M3(uint8_t(c + 1));
    const float m = 0.5f * (a + b);
    for (float x : {m, std::nextafter(m, 0.0f), std::nextafter(m, 1e30f), -m})
      in.push_back(x);
  }
  for (float m : {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, 6.0f, 448.0f, 464.0f})
    for (float x : {m, std::nextafter(m, 0.0f), std::nextafter(m, 1e30f), -m})
      in.push_back(x);
  const size_t n = in.size();

  const std::string source = codegen::detail::prelude(fb::DType::F32) + kCodecKernel;
  Result<std::string> cubin =
      cuda::compileToCubin(source, "vlm_codec_check", device.properties().arch());
  if (!cubin) {
    o.error = cubin.status().message();
    return o;
  }
  Result<cuda::Module> module = device.loadModule(*cubin);
  Result<cuda::Function> fn = module ? module->function("vlm_codec_check")
                                     : Result<cuda::Function>(module.status());
  Result<cuda::DeviceBuffer> din = device.allocate(n * 4), dout = device.allocate(n * 32);
  if (!fn || !din || !dout) {
    o.error = !fn ? fn.status().message() : "allocation failed";
    return o;
  }
  std::vector<uint32_t> out(n * 8);
  cuda::KernelArgs args{};
  args.p[0] = reinterpret_cast<void *>(dout->ptr());
  args.p[1] = reinterpret_cast<void *>(din->ptr());
  args.d[0] = int64_t(n);
  void *params[] = {&args};
  Status s = device.copyToDevice(*din, in.data(), n * 4);
  if (s.isOk())
    s = device.launch(*fn, cuda::Dim3{unsigned((n + 255) / 256), 1, 1}, cuda::Dim3{256, 1, 1}, 0,
                      params);
  if (s.isOk())
    s = device.copyToHost(out.data(), *dout, n * 32);
  if (s.isOk())
    s = device.synchronize();
  if (!s.isOk()) {
    o.error = s.message();
    return o;
  }
  size_t bad = 0;
  std::string first;
  auto fail = [&](const char *what, size_t i, uint32_t got, double want) {
    if (bad++ == 0) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s(input %zu = %a): got 0x%x, want %g", what, i,
                    double(in[i]), got, want);
      first = buf;
    }
  };
  for (size_t i = 0; i < n; ++i) {
    const float v = in[i];
    const uint32_t *r = &out[i * 8];
    if (r[0] != quant::encodeE4M3(v))
      fail("encodeE4M3", i, r[0], quant::encodeE4M3(v));
    if (r[1] != quant::encodeE2M1(v))
      fail("encodeE2M1", i, r[1], quant::encodeE2M1(v));
    if (r[2] != quant::encodeE8M0Ceil(std::fabs(v)))
      fail("encodeE8M0Ceil", i, r[2], quant::encodeE8M0Ceil(std::fabs(v)));
    if (r[3] != quant::floatToBf16(v))
      fail("floatToBf16", i, r[3], quant::floatToBf16(v));
    if (!sameFloat(r[4], quant::decodeE4M3(uint8_t(i & 0xFF))))
      fail("decodeE4M3", i, r[4], quant::decodeE4M3(uint8_t(i & 0xFF)));
    if (!sameFloat(r[5], quant::decodeE2M1(uint8_t(i & 0xF))))
      fail("decodeE2M1", i, r[5], quant::decodeE2M1(uint8_t(i & 0xF)));
    if (!sameFloat(r[6], quant::decodeE8M0(uint8_t(i & 0xFF))))
      fail("decodeE8M0", i, r[6], quant::decodeE8M0(uint8_t(i & 0xFF)));
    if (!sameFloat(r[7], quant::f16ToFloat(uint16_t(i & 0xFFFF))))
      fail("f16ToFloat", i, r[7], quant::f16ToFloat(uint16_t(i & 0xFFFF)));
  }
  o.pass = bad == 0;
  o.maxAbs = double(bad);
  if (bad)
    o.error = std::to_string(bad) + " mismatches; first: " + first;
  return o;
}

std::string jsonEscape(const std::string &s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\')
      o += '\\';
    if (ch == '\n') {
      o += "\\n";
      continue;
    }
    o += ch;
  }
  return o;
}

int usage() {
  std::fprintf(stderr, "usage: vlmc-kernel-check [--filter a,b] [--json file] [--time] [--list] "
                       "[--seed N]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--filter" || a == "--json" || a == "--seed") && i + 1 >= argc)
      return usage();
    if (a == "--filter") {
      std::string f = argv[++i];
      for (size_t p = 0; p <= f.size();) {
        size_t q = f.find(',', p);
        if (q == std::string::npos)
          q = f.size();
        if (q > p)
          opts.filters.push_back(f.substr(p, q - p));
        p = q + 1;
      }
    } else if (a == "--json") {
      opts.json = argv[++i];
    } else if (a == "--seed") {
      opts.seed = std::stoull(argv[++i]);
    } else if (a == "--time") {
      opts.time = true;
    } else if (a == "--list") {
      opts.list = true;
    } else {
      return usage();
    }
  }

  std::vector<check::CaseSpec> cases = check::allCases(opts.seed);
  if (opts.list) {
    for (const check::CaseSpec &c : cases)
      if (matches(opts, c.name()))
        std::printf("%s\n", c.name().c_str());
    return 0;
  }

  Result<std::unique_ptr<cuda::Device>> device = cuda::Device::open(0);
  if (!device) {
    std::fprintf(stderr, "vlmc-kernel-check: no CUDA device: %s\n",
                 device.status().message().c_str());
    return 2;
  }
  const cuda::DeviceProperties &props = (*device)->properties();
  std::printf("device: %s (%s, %d SMs)\n", props.name.c_str(), props.arch().c_str(),
              props.smCount);

  Checker checker(**device);
  std::vector<const check::CaseSpec *> selected;
  for (const check::CaseSpec &spec : cases)
    if (matches(opts, spec.name()))
      selected.push_back(&spec);
  checker.precompile(selected);
  std::vector<Outcome> outcomes;
  int failed = 0;
  std::printf("%-28s %-5s %-44s %10s %10s %8s %-6s%s\n", "op", "dtype", "shape", "max abs",
              "max rel", "tol", "result", opts.time ? "      us" : "");
  const auto t0 = std::chrono::steady_clock::now();
  if (matches(opts, "Codecs")) {
    Outcome o = checkCodecs(**device);
    if (!o.pass)
      ++failed;
    std::printf("%-28s %-5s %-44s %10.3g %10s %8s %-6s%s%s\n", o.op.c_str(), o.dtype.c_str(),
                o.shape.c_str(), o.maxAbs, "-", "exact", o.pass ? "PASS" : "FAIL",
                o.error.empty() ? "" : "  ", o.error.c_str());
    outcomes.push_back(std::move(o));
  }
  for (const check::CaseSpec *spec : selected) {
    Outcome o = checker.run(*spec, opts);
    if (!o.pass)
      ++failed;
    char us[32] = "";
    if (opts.time)
      std::snprintf(us, sizeof us, " %8.2f", o.micros);
    std::printf("%-28s %-5s %-44s %10.3g %10.3g %8.0e %-6s%s%s%s\n", o.op.c_str(), o.dtype.c_str(),
                o.shape.c_str(), o.maxAbs, o.maxRel, o.tolerance, o.pass ? "PASS" : "FAIL", us,
                o.error.empty() ? "" : "  ", o.error.substr(0, 300).c_str());
    std::fflush(stdout);
    outcomes.push_back(std::move(o));
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%zu cases, %d failed (%.1f s)\n", outcomes.size(), failed, secs);

  if (!opts.json.empty()) {
    std::ofstream j(opts.json);
    j << "{\"device\": \"" << jsonEscape(props.name) << "\", \"arch\": \"" << props.arch()
      << "\", \"cases\": [\n";
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const Outcome &o = outcomes[i];
      j << "  {\"name\": \"" << jsonEscape(o.name) << "\", \"op\": \"" << jsonEscape(o.op)
        << "\", \"dtype\": \"" << o.dtype << "\", \"shape\": \"" << jsonEscape(o.shape)
        << "\", \"kernel\": \"" << o.kernel << "\", \"max_abs\": " << o.maxAbs
        << ", \"max_rel\": " << o.maxRel << ", \"tolerance\": " << o.tolerance
        << ", \"pass\": " << (o.pass ? "true" : "false");
      if (o.micros >= 0)
        j << ", \"us\": " << o.micros;
      j << ", \"error\": \"" << jsonEscape(o.error) << "\"}" << (i + 1 < outcomes.size() ? "," : "")
        << "\n";
    }
    j << "]}\n";
  }
  return failed ? 1 : 0;
}
