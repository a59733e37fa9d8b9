#include "vlmc/artifact/ArtifactBuilder.h"

#include "vlmc/support/AtomicFile.h"

#include "Verify.h"
#include "vlmc/artifact/Artifact.h"

#include <cstring>

namespace vlmc::artifact {

namespace {

// Prefix of the builder's own errors (the output path is not known until
// finish, and the same layout may be written to several places).
const char kLabel[] = "vlmc artifact builder";

bool alignUp(uint64_t value, uint64_t alignment, uint64_t &out) {
  uint64_t sum;
  if (__builtin_add_overflow(value, alignment - 1, &sum))
    return false;
  out = sum / alignment * alignment;
  return true;
}

Status writeZeros(TensorSink &out, uint64_t n) {
  static const char zeros[4096] = {};
  while (n > 0) {
    size_t k = size_t(std::min<uint64_t>(n, sizeof zeros));
    VLMC_RETURN_IF_ERROR(out.write(zeros, k));
    n -= k;
  }
  return Status::ok();
}

class StringSink : public TensorSink {
public:
  explicit StringSink(std::string &out) : out_(out) {}
  Status write(const void *data, size_t nbytes) override {
    out_.append(static_cast<const char *>(data), nbytes);
    return Status::ok();
  }

private:
  std::string &out_;
};

// What a TensorSource sees: the output, limited to its tensor's size. It
// remembers the first failure, so a source that ignores a write error (disk
// full) cannot make finish() commit a broken file.
class FileSink : public TensorSink {
public:
  explicit FileSink(AtomicFile &file) : file_(file) {}
  Status write(const void *data, size_t nbytes) override { return file_.write(data, nbytes); }

private:
  AtomicFile &file_;
};

class BoundedSink : public TensorSink {
public:
  BoundedSink(TensorSink &out, uint64_t size) : out_(out), remaining_(size) {}
  Status write(const void *data, size_t nbytes) override {
    if (status_.isOk() && nbytes > remaining_)
      status_ = invalidArgument("the source wrote more bytes than its shape "
                                "holds");
    if (status_.isOk())
      status_ = out_.write(data, nbytes);
    if (status_.isOk())
      remaining_ -= nbytes;
    return status_;
  }
  uint64_t remaining() const { return remaining_; }
  const Status &status() const { return status_; }

private:
  TensorSink &out_;
  uint64_t remaining_;
  Status status_;
};

} // namespace

ArtifactBuilder::ArtifactBuilder() : ArtifactBuilder(Options{}) {}
ArtifactBuilder::ArtifactBuilder(Options options) : options_(options) {}

Status ArtifactBuilder::checkOpen(const char *what) const {
  if (sealed_)
    return invalidArgument(std::string(kLabel) + ": " + what +
                           " after the artifact was finished");
  return Status::ok();
}

Result<uint32_t> ArtifactBuilder::addTensor(const TensorInfo &info,
                                            std::string bytes) {
  uint64_t size = bytes.size();
  auto shared = std::make_shared<const std::string>(std::move(bytes));
  return addTensorImpl(
      info,
      [shared](TensorSink &out) {
        return out.write(shared->data(), shared->size());
      },
      size);
}

Result<uint32_t> ArtifactBuilder::addTensor(const TensorInfo &info,
                                            TensorSource source) {
  return addTensorImpl(info, std::move(source), std::nullopt);
}

Result<uint32_t>
ArtifactBuilder::addTensorImpl(const TensorInfo &info, TensorSource source,
                               std::optional<uint64_t> knownSize) {
  VLMC_RETURN_IF_ERROR(checkOpen("addTensor"));
  const std::string where =
      std::string(kLabel) + ": tensor '" + info.name + "'";
  if (info.name.empty())
    return invalidArgument(std::string(kLabel) + ": a tensor needs a name");
  if (tensorNames_.count(info.name))
    return invalidArgument(where + " was added twice");
  if (!isKnownDType(info.dtype))
    return invalidArgument(where + ": unknown dtype " +
                           std::to_string(int(info.dtype)));
  auto size = tensorByteSize(info.dtype, info.shape);
  if (!size)
    return invalidArgument(where + ": invalid shape " +
                           shapeString(info.shape.data(), info.shape.size()));
  if (knownSize && *knownSize != *size)
    return invalidArgument(where + ": got " + std::to_string(*knownSize) +
                           " bytes, its shape holds " + std::to_string(*size));
  if (!source)
    return invalidArgument(where + ": no source for its bytes");
  if (info.quant && (info.quant->mode < fb::QuantMode::MIN ||
                     info.quant->mode > fb::QuantMode::MAX))
    return invalidArgument(where + ": unknown quant mode");
  uint64_t offset, end;
  if (!alignUp(weightsSize_, kTensorAlignment, offset) ||
      __builtin_add_overflow(offset, *size, &end))
    return invalidArgument(where + ": the weights segment overflows");

  auto name = fbb_.CreateString(info.name);
  auto shape = fbb_.CreateVector(info.shape);
  flatbuffers::Offset<fb::QuantSpec> quant;
  if (info.quant)
    quant = fb::CreateQuantSpec(fbb_, info.quant->mode, info.quant->bits,
                                info.quant->groupSize, info.quant->globalScale);
  tensorTables_.push_back(
      fb::CreateTensor(fbb_, name, info.dtype, shape, offset, *size, quant));
  tensors_.push_back({info.name, offset, *size, std::move(source)});
  tensorNames_.insert(info.name);
  weightsSize_ = end;
  return uint32_t(tensors_.size() - 1);
}

Status ArtifactBuilder::addEmbeddedFile(std::string_view name,
                                        std::string_view data) {
  VLMC_RETURN_IF_ERROR(checkOpen("addEmbeddedFile"));
  const std::string key(name);
  if (key.empty())
    return invalidArgument(std::string(kLabel) +
                           ": an embedded file needs a name");
  if (!fileNames_.insert(key).second)
    return invalidArgument(std::string(kLabel) + ": embedded file '" + key +
                           "' was added twice");
  auto nameOffset = fbb_.CreateString(name.data(), name.size());
  auto dataOffset = fbb_.CreateVector(
      reinterpret_cast<const uint8_t *>(data.data()), data.size());
  files_.push_back(fb::CreateEmbeddedFile(fbb_, nameOffset, dataOffset));
  return Status::ok();
}

Status
ArtifactBuilder::addFunction(flatbuffers::Offset<fb::Function> function) {
  VLMC_RETURN_IF_ERROR(checkOpen("addFunction"));
  functions_.push_back(function);
  return Status::ok();
}

Status ArtifactBuilder::addKernel(flatbuffers::Offset<fb::Kernel> kernel) {
  VLMC_RETURN_IF_ERROR(checkOpen("addKernel"));
  kernels_.push_back(kernel);
  return Status::ok();
}

Status ArtifactBuilder::seal() {
  if (sealed_)
    return sealStatus_;
  sealed_ = true;
  auto str = [&](const std::string &s) {
    return s.empty() ? flatbuffers::Offset<flatbuffers::String>()
                     : fbb_.CreateString(s);
  };
  auto family = str(model_.family);
  auto modelType = str(model_.modelType);
  auto target = str(model_.target);
  auto version = str(model_.compilerVersion);
  auto files = fbb_.CreateVector(files_);
  auto tensors = fbb_.CreateVector(tensorTables_);
  auto functions = fbb_.CreateVector(functions_);
  auto kernels = fbb_.CreateVector(kernels_);
  fb::FinishArtifactBuffer(
      fbb_, fb::CreateArtifact(fbb_, family, modelType, target,
                               model_.quantizeActivations, version, files,
                               tensors, functions, kernels,
                               generatedAtLoad_ ? weightsSize_ : 0,
                               model_.greedyKernel, model_.sampleKernel));
  if (options_.verify) {
    sealStatus_ = detail::verifyFlatbuffer(fbb_.GetBufferPointer(),
                                           fbb_.GetSize(), kLabel);
    Artifact::Index index;
    if (sealStatus_.isOk())
      sealStatus_ =
          detail::verifyContents(*fb::GetArtifact(fbb_.GetBufferPointer()),
                                 fbb_.GetSize(), weightsSize_, kLabel, index);
  }
  return sealStatus_;
}

Status ArtifactBuilder::writeTo(TensorSink &out) {
  const uint64_t flatbufferSize = fbb_.GetSize();
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.formatVersion = kFormatVersion;
  h.flatbufferOffset = kHeaderSize;
  h.flatbufferSize = flatbufferSize;
  alignUp(kHeaderSize + flatbufferSize, kWeightsAlignment, h.weightsOffset);
  h.weightsSize = generatedAtLoad_ ? 0 : weightsSize_;

  VLMC_RETURN_IF_ERROR(out.write(&h, sizeof h));
  VLMC_RETURN_IF_ERROR(out.write(fbb_.GetBufferPointer(), flatbufferSize));
  VLMC_RETURN_IF_ERROR(
      writeZeros(out, h.weightsOffset - kHeaderSize - flatbufferSize));
  if (generatedAtLoad_)
    return Status::ok();
  uint64_t position = 0; // within the weights segment
  for (const PendingTensor &t : tensors_) {
    VLMC_RETURN_IF_ERROR(writeZeros(out, t.offset - position));
    const std::string where = std::string(kLabel) + ": tensor '" + t.name + "'";
    BoundedSink sink(out, t.size);
    Status st = t.source(sink);
    if (st.isOk())
      st = sink.status();
    VLMC_RETURN_IF_ERROR(st.withContext(where));
    if (sink.remaining() != 0)
      return invalidArgument(where + ": the source wrote " +
                             std::to_string(t.size - sink.remaining()) +
                             " of its " + std::to_string(t.size) + " bytes");
    position = t.offset + t.size;
  }
  return Status::ok();
}

Status ArtifactBuilder::finishToFile(const std::string &path) {
  VLMC_RETURN_IF_ERROR(seal());
  auto file = AtomicFile::create(path);
  if (!file)
    return file.status();
  FileSink sink(**file);
  VLMC_RETURN_IF_ERROR(writeTo(sink));
  return (*file)->commit();
}

Result<std::string> ArtifactBuilder::finishToString() {
  VLMC_RETURN_IF_ERROR(seal());
  std::string out;
  StringSink sink(out);
  VLMC_RETURN_IF_ERROR(writeTo(sink));
  return out;
}

} // namespace vlmc::artifact
