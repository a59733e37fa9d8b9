#include "vlmc/artifact/Artifact.h"

#include "Storage.h"
#include "vlmc/artifact/SyntheticWeights.h"
#include "Verify.h"

namespace vlmc::artifact {

Result<Artifact> Artifact::open(const std::string &path, SyntheticWeights synthetic) {
  auto storage = detail::mapFile(path);
  if (!storage)
    return storage.status();
  return load(std::move(storage->bytes), storage->size, path, synthetic);
}

Result<Artifact> Artifact::fromBytes(std::string_view bytes,
                                     const std::string &label) {
  auto storage = detail::copyAligned(bytes);
  if (!storage)
    return storage.status().withContext(label);
  return load(std::move(storage->bytes), storage->size, label);
}

Result<Artifact> Artifact::load(std::shared_ptr<const uint8_t> bytes,
                                size_t size, const std::string &label,
                                SyntheticWeights syntheticMode) {
  Artifact a;
  a.label_ = label;
  a.bytes_ = std::move(bytes);
  a.size_ = size;
  const uint8_t *base = a.bytes_.get();
  VLMC_RETURN_IF_ERROR(detail::verifyHeader(base, size, label, a.header_));
  const uint8_t *flatbuffer = base + a.header_.flatbufferOffset;
  VLMC_RETURN_IF_ERROR(
      detail::verifyFlatbuffer(flatbuffer, a.header_.flatbufferSize, label));
  a.root_ = fb::GetArtifact(flatbuffer);
  const uint64_t synthetic = a.root_->synthetic_weights_size();
  if (synthetic > 0 && a.header_.weightsSize > 0)
    return dataLoss(label + ": corrupt artifact: it stores " +
                    std::to_string(a.header_.weightsSize) +
                    " weight bytes and asks for synthetic weights too");
  const uint64_t weightsSize = synthetic > 0 ? synthetic : a.header_.weightsSize;
  VLMC_RETURN_IF_ERROR(detail::verifyContents(
      *a.root_, a.header_.flatbufferSize, weightsSize, label, a.index_));
  if (synthetic > 0 && syntheticMode == SyntheticWeights::kSkip)
    return a;
  if (synthetic > 0) {
    Result<std::shared_ptr<uint8_t>> generated = generateSyntheticWeights(*a.root_, synthetic);
    if (!generated)
      return generated.status().withContext(label);
    a.synthetic_ = std::move(*generated);
    a.weights_ = {a.synthetic_.get(), size_t(synthetic)};
    return a;
  }
  a.weights_ = {base + a.header_.weightsOffset, size_t(a.header_.weightsSize)};
  return a;
}

ByteSpan Artifact::flatbuffer() const {
  return {bytes_.get() + header_.flatbufferOffset,
          size_t(header_.flatbufferSize)};
}

size_t Artifact::tensorCount() const {
  return root_->tensors() ? root_->tensors()->size() : 0;
}

const fb::Tensor *Artifact::tensor(size_t index) const {
  return index < tensorCount() ? root_->tensors()->Get(uint32_t(index))
                               : nullptr;
}

ByteSpan Artifact::tensorData(size_t index) const {
  const fb::Tensor *t = tensor(index);
  if (!t)
    return {};
  // Verified at load: [offset, offset + size) lies inside the segment.
  return {weights_.data + t->offset(), size_t(t->size())};
}

std::optional<size_t> Artifact::findTensor(std::string_view name) const {
  auto it = index_.tensors.find(name);
  if (it == index_.tensors.end())
    return std::nullopt;
  return it->second;
}

const fb::Function *Artifact::findFunction(std::string_view name) const {
  auto it = index_.functions.find(name);
  return it == index_.functions.end() ? nullptr
                                      : root_->functions()->Get(it->second);
}

std::optional<std::string_view>
Artifact::embeddedFile(std::string_view name) const {
  auto it = index_.files.find(name);
  if (it == index_.files.end())
    return std::nullopt;
  const auto *data = root_->files()->Get(it->second)->data();
  if (!data)
    return std::string_view();
  return std::string_view(reinterpret_cast<const char *>(data->data()),
                          data->size());
}

} // namespace vlmc::artifact
