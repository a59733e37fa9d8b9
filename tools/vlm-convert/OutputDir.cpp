#include "OutputDir.h"

#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace vlmc::convert {

Result<OutputDir> OutputDir::create(const std::string &dest, bool force) {
  std::error_code ec;
  fs::path d = fs::path(dest).lexically_normal();
  if (d.filename().empty())
    d = d.parent_path(); // "out/" -> "out"
  if (d.empty())
    return invalidArgument("empty output path");
  if (fs::exists(d, ec) && !force)
    return invalidArgument(d.string() +
                           ": already exists (use --force to replace it)");
  fs::path parent = d.has_parent_path() ? d.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec))
    return notFound(parent.string() + ": output parent directory does not exist");
  OutputDir out;
  out.dest_ = d.string();
  out.force_ = force;
  out.staging_ = (parent / ("." + d.filename().string() + ".vlm-convert-tmp-" +
                            std::to_string(::getpid())))
                     .string();
  fs::remove_all(out.staging_, ec);
  if (!fs::create_directory(out.staging_, ec))
    return Status(StatusCode::kUnavailable,
                  out.staging_ + ": cannot create: " + ec.message());
  return out;
}

OutputDir::OutputDir(OutputDir &&o) noexcept
    : dest_(std::move(o.dest_)), staging_(std::move(o.staging_)),
      force_(o.force_), done_(o.done_) {
  o.done_ = true;
}

OutputDir::~OutputDir() {
  if (!done_ && !staging_.empty()) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

Status OutputDir::commit() {
  std::error_code ec;
  fs::path old;
  if (fs::exists(dest_, ec)) {
    if (!force_)
      return invalidArgument(dest_ + ": already exists (use --force to replace it)");
    old = fs::path(staging_).string() + "-old";
    fs::rename(dest_, old, ec);
    if (ec)
      return Status(StatusCode::kUnavailable,
                    dest_ + ": cannot move aside: " + ec.message());
  }
  fs::rename(staging_, dest_, ec);
  if (ec) {
    if (!old.empty())
      fs::rename(old, dest_, ec); // put the previous output back
    return Status(StatusCode::kUnavailable,
                  dest_ + ": cannot rename into place: " + ec.message());
  }
  done_ = true;
  if (!old.empty())
    fs::remove_all(old, ec);
  return Status::ok();
}

Status copySideFiles(const std::string &srcDir, const std::string &dstDir) {
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(srcDir, ec)) {
    if (!entry.is_regular_file(ec))
      continue;
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (name == "config.json" || name == "model.safetensors.index.json")
      continue;
    if (ext != ".json" && ext != ".py" && ext != ".jinja" && ext != ".txt" &&
        ext != ".model" && ext != ".tiktoken")
      continue;
    fs::copy_file(entry.path(), fs::path(dstDir) / name,
                  fs::copy_options::overwrite_existing, ec);
    if (ec)
      return Status(StatusCode::kUnavailable,
                    entry.path().string() + ": copy failed: " + ec.message());
  }
  if (ec)
    return Status(StatusCode::kUnavailable,
                  srcDir + ": cannot list: " + ec.message());
  return Status::ok();
}

} // namespace vlmc::convert
