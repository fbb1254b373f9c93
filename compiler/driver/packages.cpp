#include "compiler/driver/packages.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "compiler/lex/lexer.h"
#include "compiler/parse/parser.h"

namespace asthra {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxSourceBytes = 64u << 20;

bool is_source(const fs::path& p) { return p.extension() == ".asthra" || p.extension() == ".ast"; }

class Loader {
 public:
  Loader(const std::string& stdlib_dir, SourceManager& sm, Diagnostics& diags, Program& program, LoadedProgram& loaded)
      : stdlib_(stdlib_dir), sm_(sm), diags_(diags), prog_(program), loaded_(loaded) {}

  bool run(const std::vector<std::string>& sources) {
    Package& entry = prog_.packages.emplace_back();
    entry.is_entry = true;
    for (const std::string& path : sources) {
      Module* m = parse_file(path, nullptr);
      if (!m) return false;
      add_module(entry, m);
    }
    if (!entry.modules.empty()) entry.name = entry.modules.front()->package;
    stack_.push_back({"", nullptr});
    if (!imports_of(entry)) return false;
    return true;
  }

 private:
  struct Frame {
    std::string key;
    const ImportDecl* via;
  };

  void add_module(Package& p, Module* m) {
    p.modules.push_back(m);
    prog_.modules.push_back(m);
    prog_.module_package[m] = &p;
  }

  // Parses one file; null after a read error (already printed).
  Module* parse_file(const std::string& path, const ImportDecl* via) {
    std::error_code ec;
    std::string error;
    std::string text;
    if (fs::is_directory(path, ec)) {
      error = "is a directory";
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) error = std::strerror(errno);
      else text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (text.size() > kMaxSourceBytes) error = fmt::format("file is larger than the {} MiB limit", kMaxSourceBytes >> 20);
    }
    if (!error.empty()) {
      if (via) {
        diags_.report(DiagCode::E0902, via->span, fmt::format("cannot read `{}`: {}", path, error));
        loaded_.recoverable = false;
        return nullptr;
      }
      std::fprintf(stderr, "asthra: error: cannot read `%s`: %s\n", path.c_str(), error.c_str());
      return nullptr;
    }
    uint32_t file = sm_.add(path, std::move(text));
    // After a malformed literal checking goes on; lost text makes it
    // pointless, as syntax errors do (lexer.h).
    bool lost_text = false;
    loaded_.modules.push_back(parse(lex(sm_, file, diags_, &lost_text), file, diags_));
    Module* m = loaded_.modules.back().get();
    if (lost_text) m->lost_declarations = true;
    if (m->lost_declarations) loaded_.recoverable = false;
    return m;
  }

  // Loads every package `p` imports, depth first.
  bool imports_of(Package& p) {
    std::vector<Module*> mods = p.modules;
    for (Module* m : mods) {
      fs::path dir = fs::path(sm_.file(m->file).path()).parent_path();
      for (Decl* d : m->decls) {
        if (d->kind != DeclKind::Import) continue;
        auto* imp = static_cast<ImportDecl*>(d);
        if (!import(imp, dir)) return false;
      }
    }
    return true;
  }

  bool import(const ImportDecl* imp, const fs::path& dir) {
    fs::path target = imp->path.rfind("stdlib/", 0) == 0 ? fs::path(stdlib_) / imp->path.substr(7) : dir / imp->path;
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(target, ec)) {
      for (const auto& entry : fs::directory_iterator(target, ec))
        if (entry.is_regular_file() && is_source(entry.path())) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(target, ec)) {
      files.push_back(target);
    } else {
      for (const char* ext : {".asthra", ".ast"}) {
        fs::path with = target;
        with += ext;
        if (fs::is_regular_file(with, ec)) {
          files.push_back(with);
          break;
        }
      }
    }
    if (files.empty()) {
      diags_.report(DiagCode::E0902, imp->span, fmt::format("cannot find package `{}`", imp->path))
          .help(fmt::format("looked for `{}` (a file, `.asthra` file or folder of sources){}", target.string(),
                            imp->path.rfind("stdlib/", 0) == 0 ? "" : "; paths are relative to the importing file"));
      loaded_.recoverable = false;
      return true;  // other imports may still be reported
    }
    std::string key = fs::weakly_canonical(files.size() == 1 && !fs::is_directory(target, ec) ? files[0] : target, ec).string();
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i].key != key) continue;
      std::string chain;
      for (size_t j = i + 1; j < stack_.size(); ++j) chain += fmt::format("`{}` imports ", stack_[j].via->path);
      auto d = diags_.report(DiagCode::E0130, imp->span,
                             fmt::format("import cycle: {}`{}`, which is being imported already", chain, imp->path));
      for (size_t j = i + 1; j < stack_.size(); ++j) d.note(stack_[j].via->span, "imported here");
      d.help("move what both packages need into a third package they both import");
      loaded_.recoverable = false;
      return true;
    }
    if (auto it = done_.find(key); it != done_.end()) {
      prog_.imports[imp] = it->second;
      return true;
    }
    Package& pkg = prog_.packages.emplace_back();
    pkg.path = imp->path;
    for (const fs::path& f : files) {
      Module* m = parse_file(f.string(), imp);
      if (!m) return true;
      add_module(pkg, m);
    }
    pkg.name = pkg.modules.front()->package;
    std::string safe;
    for (char c : pkg.name) safe += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    pkg.c_prefix = fmt::format("{}{}_", safe, prog_.packages.size() - 1);
    prog_.imports[imp] = &pkg;
    done_[key] = &pkg;
    stack_.push_back({key, imp});
    bool ok = imports_of(pkg);
    stack_.pop_back();
    return ok;
  }

  std::string stdlib_;
  SourceManager& sm_;
  Diagnostics& diags_;
  Program& prog_;
  LoadedProgram& loaded_;
  std::vector<Frame> stack_;
  std::map<std::string, Package*> done_;
};

}  // namespace

bool load_program(const std::vector<std::string>& sources, const std::string& stdlib_dir, SourceManager& sm,
                  Diagnostics& diags, Program& program, LoadedProgram& loaded) {
  return Loader(stdlib_dir, sm, diags, program, loaded).run(sources);
}

}  // namespace asthra
