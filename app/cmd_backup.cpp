// `hearth backup [DEST]`, `hearth backup verify|list [DEST]` and `hearth restore DEST --dir DIR`:
// snapshots of a running instance (app/backup.hpp). They do not take the data directory's
// lock: `hearth serve` keeps serving while a backup runs.
#include <cstdio>
#include <iostream>

#include "app/backup.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"

namespace hearth::app {
namespace {

constexpr const char* backup_usage =
    "usage: hearth [--config FILE] backup [DEST] [--keep N]   snapshot the data directory into DEST\n"
    "       hearth [--config FILE] backup verify [DEST] [--snapshot ID]   check every checksum and blob\n"
    "       hearth [--config FILE] backup list [DEST]         the snapshots in DEST\n"
    "  DEST defaults to backup.destination; --keep to backup.retention (0 = keep all).\n"
    "  Only blobs DEST lacks are copied; each run adds a snapshot folder with a MANIFEST.";

constexpr const char* restore_usage =
    "usage: hearth restore DEST [--snapshot ID] --dir NEW_DATA_DIR\n"
    "  Builds a data directory from the newest snapshot in DEST (or ID), checking every checksum.\n"
    "  Point server.data_dir at NEW_DATA_DIR and start `hearth serve`.";

std::string mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// DEST from the arguments, else from the config's backup.destination.
std::optional<std::filesystem::path> destination(const globals& g, const parsed_args& p, std::size_t index,
                                                 std::optional<config::config>* cfg_out = nullptr) {
  if (p.positional.size() > index) return std::filesystem::path(p.positional[index]);
  auto cfg = load_config(g);
  if (!cfg) return std::nullopt;
  if (cfg->backup_destination.empty()) {
    usage_error("no DEST given and backup.destination is not set", backup_usage);
    return std::nullopt;
  }
  auto d = cfg->backup_destination;
  if (cfg_out) *cfg_out = std::move(cfg);
  return d;
}

int backup_verify(const globals& g, const parsed_args& p) {
  if (p.positional.size() > 2) return usage_error("too many arguments", backup_usage);
  auto dest = destination(g, p, 1);
  if (!dest) return 2;
  auto r = verify_backup(*dest, p.option("--snapshot"));
  if (!r) return fail_with(1, r.error().message);
  for (const auto& problem : r->problems) std::cout << "BAD " << problem << "\n";
  std::cout << r->snapshots << " snapshot(s), " << r->files << " files, " << r->blobs << " blob references checked: "
            << (r->problems.empty() ? "all good" : std::to_string(r->problems.size()) + " problem(s)") << "\n";
  return r->problems.empty() && r->snapshots > 0 ? 0 : 1;
}

int backup_list(const globals& g, const parsed_args& p) {
  if (p.positional.size() > 2) return usage_error("too many arguments", backup_usage);
  auto dest = destination(g, p, 1);
  if (!dest) return 2;
  auto list = list_snapshots(*dest);
  if (!list) return fail_with(1, list.error().message);
  for (const auto& m : *list) {
    std::uint64_t bytes = 0;
    for (const auto& f : m.files) bytes += f.size;
    for (const auto& b : m.blobs) bytes += b.size;
    std::cout << m.snapshot << "  " << m.files.size() << " files, " << m.blobs.size() << " blobs, " << mib(bytes) << "\n";
  }
  return 0;
}

}  // namespace

int cmd_backup(const globals& g, const args& a) {
  auto p = parse_args(a, {"--keep", "--snapshot"});
  if (p.help) {
    std::cout << backup_usage << "\n";
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, backup_usage);
  if (!p.positional.empty() && p.positional[0] == "verify") return backup_verify(g, p);
  if (!p.positional.empty() && p.positional[0] == "list") return backup_list(g, p);
  if (p.positional.size() > 1) return usage_error("too many arguments", backup_usage);
  auto cfg = load_config(g);
  if (!cfg) return 1;
  if (auto why = backup_unsupported(*cfg)) return fail_with(1, *why);
  backup_options o;
  o.data_dir = cfg->data_dir;
  o.dest = p.positional.empty() ? cfg->backup_destination : std::filesystem::path(p.positional[0]);
  if (o.dest.empty()) return usage_error("no DEST given and backup.destination is not set", backup_usage);
  o.keep = cfg->backup_retention;
  if (auto k = p.option("--keep")) {
    try {
      o.keep = static_cast<unsigned>(std::stoul(*k));
    } catch (...) {
      return usage_error("--keep needs a number", backup_usage);
    }
  }
  auto r = run_backup(o);
  if (!r) return fail_with(1, r.error().message);
  std::printf("snapshot %s: %zu files (%s), %zu blobs (%s), %zu new blobs copied (%s) in %.2f s (writers held %.3f s)\n",
              r->snapshot.c_str(), r->files, mib(r->file_bytes).c_str(), r->blobs, mib(r->blob_bytes).c_str(),
              r->blobs_copied, mib(r->bytes_copied).c_str(), r->seconds, r->locked_seconds);
  if (r->removed_snapshots > 0)
    std::printf("retention: removed %zu old snapshot(s) and %zu blob(s) no snapshot uses\n", r->removed_snapshots,
                r->removed_blobs);
  return 0;
}

int cmd_restore(const globals& g, const args& a) {
  auto p = parse_args(a, {"--snapshot", "--dir"});
  if (p.help) {
    std::cout << restore_usage << "\n";
    return 0;
  }
  if (!p.error.empty()) return usage_error(p.error, restore_usage);
  if (p.positional.size() != 1) return usage_error("restore needs DEST, the backup folder", restore_usage);
  auto dir = p.option("--dir");
  if (!dir || dir->empty()) return usage_error("--dir NEW_DATA_DIR is required", restore_usage);
  auto r = restore_backup(p.positional[0], p.option("--snapshot"), *dir);
  if (!r) return fail_with(1, r.error().message);
  std::cout << "restored snapshot " << r->snapshot << " into " << *dir << ": " << r->files << " files, " << r->blobs
            << " blobs, " << mib(r->bytes) << " (every checksum matched)\n";
  return 0;
}

}  // namespace hearth::app
