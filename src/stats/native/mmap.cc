// waymark_mmap: map a file MAP_SHARED read/write and hand JavaScript a Buffer
// over the mapping. Everything else (the mmstats format) is TypeScript.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr size_t kPage = 4096;

struct Mapping {
  void* addr;
  size_t size;
};

// Live mappings by address, so unmap() can release one before the GC does.
std::mutex gMutex;
std::unordered_map<void*, Mapping*> gLive;

// Unmaps once: whichever of unmap() and the finalizer comes first does it.
void Release(Mapping* mapping) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (mapping->addr == nullptr) return;
  munmap(mapping->addr, mapping->size);
  gLive.erase(mapping->addr);
  mapping->addr = nullptr;
}

Napi::Value ThrowErrno(Napi::Env env, const char* what, const std::string& path, int err) {
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, err == ENOENT ? "ENOENT" : (err == EACCES ? "EACCES" : "EMMAP")));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

void Finalize(Napi::Env /*env*/, void* /*data*/, Mapping* mapping) {
  Release(mapping);
  delete mapping;
}

// map(path: string, size: number): Buffer
Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "map(path: string, size: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  double requested = info[1].As<Napi::Number>().DoubleValue();
  if (!(requested >= 1) || requested > 1073741824.0) {
    Napi::RangeError::New(env, "map: size must be between 1 byte and 1 GiB").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t size = ((static_cast<size_t>(requested) + kPage - 1) / kPage) * kPage;
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ThrowErrno(env, "cannot create", path, errno);
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "cannot size", path, err);
  }
  void* addr = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);  // the mapping keeps the file referenced
  if (addr == MAP_FAILED) return ThrowErrno(env, "cannot mmap", path, err);
  auto* mapping = new Mapping{addr, size};
  {
    std::lock_guard<std::mutex> lock(gMutex);
    gLive[addr] = mapping;
  }
  return Napi::Buffer<uint8_t>::New(env, static_cast<uint8_t*>(addr), size, Finalize, mapping);
}

// msync(buffer: Buffer): void
Napi::Value Msync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(env, "msync(buffer: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  if (buf.Length() == 0) return env.Undefined();
  if (msync(buf.Data(), buf.Length(), MS_SYNC) != 0) return ThrowErrno(env, "cannot msync", "", errno);
  return env.Undefined();
}

// unmap(buffer: Buffer): void — detaches the ArrayBuffer so JavaScript can no
// longer touch the pages; the finalizer then unmaps them.
Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(env, "unmap(buffer: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  Napi::ArrayBuffer ab = buf.ArrayBuffer();
  if (ab.IsDetached() || buf.Length() == 0) return env.Undefined();
  Mapping* mapping = nullptr;
  {
    std::lock_guard<std::mutex> lock(gMutex);
    auto it = gLive.find(buf.Data());
    if (it != gLive.end()) mapping = it->second;
  }
  if (mapping == nullptr) {
    Napi::TypeError::New(env, "unmap: the buffer is not a mapping made by map()").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  ab.Detach();
  Release(mapping);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("msync", Napi::Function::New(env, Msync, "msync"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(kPage)));
  return exports;
}

}  // namespace

NODE_API_MODULE(waymark_mmap, Init)
