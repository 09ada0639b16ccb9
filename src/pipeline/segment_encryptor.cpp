#include "pipeline/segment_encryptor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "util/files.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;

std::string_view packager_system_name(DrmSystem system) {
  switch (system) {
    case DrmSystem::kWidevine:
      return "Widevine";
    case DrmSystem::kPlayReady:
      return "PlayReady";
    case DrmSystem::kFairPlay:
      return "FairPlay";
    case DrmSystem::kClearKey:
      return "CommonSystem";  // the W3C common PSSH, which Clear Key players read
  }
  return "CommonSystem";
}

std::string hex_of(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const auto b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

// A file only we can read, removed (and its bytes overwritten first) when this goes.
class SecretFile {
 public:
  static Result<SecretFile> write(const fs::path& path, const std::string& content) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return fail(ErrorCode::kIo, fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
    const UniqueFd owned(fd);
    SecretFile file(path, content.size());
    std::size_t done = 0;
    while (done < content.size()) {
      const auto n = ::write(fd, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail(ErrorCode::kIo, fmt::format("cannot write {}", path.string()));
      done += static_cast<std::size_t>(n);
    }
    return file;
  }
  SecretFile(SecretFile&& other) noexcept : path_(std::exchange(other.path_, {})), size_(other.size_) {}
  SecretFile& operator=(SecretFile&&) = delete;
  SecretFile(const SecretFile&) = delete;
  SecretFile& operator=(const SecretFile&) = delete;
  ~SecretFile() {
    if (path_.empty()) return;
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
      const std::string zeros(size_, '\0');
      [[maybe_unused]] const auto n = ::write(fd, zeros.data(), zeros.size());
      ::close(fd);
    }
    std::error_code ec;
    fs::remove(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  SecretFile(fs::path path, std::size_t size) : path_(std::move(path)), size_(size) {}
  fs::path path_;
  std::size_t size_ = 0;
};

}  // namespace

Result<EncryptedFiles> SegmentEncryptor::encrypt(const fs::path& init, const std::vector<fs::path>& segments,
                                                 bool video, double segment_seconds, const TrackEncryption& encryption,
                                                 const fs::path& work, const std::stop_token& stop) const {
  if (encryption.scheme != ProtectionScheme::kCenc && encryption.scheme != ProtectionScheme::kCbcs) {
    return fail(ErrorCode::kInternal, "the packager encrypts with cenc or cbcs only");
  }
  const auto input = work / "input.mp4";
  std::vector<fs::path> parts{init};
  parts.insert(parts.end(), segments.begin(), segments.end());
  if (auto joined = concatenate_files(parts, input); !joined) return tl::unexpected(joined.error());

  const auto out = work / "encrypted";
  if (auto made = make_directories(out); !made) return tl::unexpected(made.error());
  const std::string label = std::string(to_string(encryption.key.type));
  std::string flags = fmt::format("--keys=label={}:key_id={}:key={}\n", label, encryption.key.kid.hex(),
                                  encryption.key.key.hex_for_packager());
  if (!encryption.key.pssh.empty()) {
    std::string boxes;
    for (const auto& box : encryption.key.pssh) boxes += hex_of(box);
    flags += fmt::format("--pssh={}\n", boxes);
  }
  auto secret = SecretFile::write(work / "keys.flags", flags);
  if (!secret) return tl::unexpected(secret.error());

  EncryptedFiles files;
  files.init = out / "init.mp4";
  auto& argv = files.argv;
  argv = {options_.packager,
          fmt::format("in={},stream={},init_segment={},segment_template={},drm_label={}", input.string(),
                      video ? "video" : "audio", files.init.string(), (out / "seg-$Number%05d$.m4s").string(), label),
          "--segment_duration",
          fmt::format("{}", segment_seconds),
          "--enable_raw_key_encryption",
          "--protection_scheme",
          std::string(to_string(encryption.scheme)),
          "--clear_lead",
          fmt::format("{}", encryption.clear_lead_seconds),
          "--flagfile",
          secret->path().string(),
          "--quiet"};
  if (encryption.key.pssh.empty() && !encryption.systems.empty()) {
    std::string systems;
    for (const auto system : encryption.systems) {
      if (!systems.empty()) systems += ',';
      systems += packager_system_name(system);
    }
    argv.insert(argv.end(), {"--protection_systems", systems});
  }
  ProcessSpec spec{.argv = argv, .limits = options_.limits};
  auto run = run_captured(spec, std::size_t{64} * 1024, stop);
  if (!run) return tl::unexpected(run.error());
  if (run->result.cancelled) return fail(ErrorCode::kCancelled, "cancelled while encrypting");
  if (!run->result.succeeded()) {
    // Its complaint is quoted, and a packager may quote its flags back.
    auto said = run->result.stderr_tail;
    for (const auto& secret_text : {encryption.key.key.hex_for_packager(), flags}) {
      for (auto at = said.find(secret_text); at != std::string::npos; at = said.find(secret_text)) {
        said.replace(at, secret_text.size(), "[redacted]");
      }
    }
    return fail(ErrorCode::kInternal, fmt::format("the packager {}: {}", run->result.describe(), said));
  }
  std::error_code ec;
  fs::remove(input, ec);
  for (std::size_t n = 1;; ++n) {
    auto segment = out / fmt::format("seg-{:05d}.m4s", n);
    if (!fs::exists(segment, ec)) break;
    files.segments.push_back(std::move(segment));
  }
  if (files.segments.empty()) return fail(ErrorCode::kInternal, "the packager wrote no segment");
  return files;
}

Result<std::uint64_t> encrypt_whole_segment(const fs::path& file, const ContentKey& key, std::uint64_t media_sequence) {
  std::array<std::uint8_t, 16> iv{};
  for (std::size_t i = 0; i < 8; ++i) iv[15 - i] = static_cast<std::uint8_t>((media_sequence >> (8 * i)) & 0xFF);
  const std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> context(EVP_CIPHER_CTX_new(),
                                                                                &EVP_CIPHER_CTX_free);
  if (!context || EVP_EncryptInit_ex(context.get(), EVP_aes_128_cbc(), nullptr, key.bytes().data(), iv.data()) != 1) {
    return fail(ErrorCode::kInternal, "cannot set up AES-128-CBC");
  }
  const auto encrypted = fs::path(file).concat(".aes");
  std::ifstream in(file, std::ios::binary);
  std::ofstream out(encrypted, std::ios::binary | std::ios::trunc);
  if (!in || !out) return fail(ErrorCode::kIo, fmt::format("cannot encrypt {}", file.string()));
  std::vector<char> plain(std::size_t{256} * 1024);
  std::vector<char> cipher(plain.size() + 16);
  std::uint64_t written = 0;
  while (in) {
    in.read(plain.data(), static_cast<std::streamsize>(plain.size()));
    const auto got = static_cast<int>(in.gcount());
    if (got <= 0) break;
    int produced = 0;
    if (EVP_EncryptUpdate(context.get(), reinterpret_cast<unsigned char*>(cipher.data()), &produced,
                          reinterpret_cast<const unsigned char*>(plain.data()), got) != 1) {
      return fail(ErrorCode::kInternal, "AES-128-CBC failed");
    }
    out.write(cipher.data(), produced);
    written += static_cast<std::uint64_t>(produced);
  }
  int produced = 0;
  if (EVP_EncryptFinal_ex(context.get(), reinterpret_cast<unsigned char*>(cipher.data()), &produced) != 1) {
    return fail(ErrorCode::kInternal, "AES-128-CBC failed");
  }
  out.write(cipher.data(), produced);
  written += static_cast<std::uint64_t>(produced);
  out.close();
  if (!out || in.bad()) return fail(ErrorCode::kIo, fmt::format("cannot encrypt {}", file.string()));
  if (auto moved = move_file(encrypted, file); !moved) return tl::unexpected(moved.error());
  return written;
}

}  // namespace st
