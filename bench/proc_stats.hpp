#pragma once
// What the benches read about a running server from /proc and from the commands they start.
// Header-only: each bench is one program with no library of its own.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace hearth::bench {

// Resident set size in KiB (VmRSS in /proc/PID/status); -1 when the process is gone.
inline long rss_kb(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

// User plus system CPU time in clock ticks (fields 14 and 15 of /proc/PID/stat, proc(5));
// -1 when the process is gone. The command name may hold spaces, so fields count from its ')'.
inline long cpu_ticks(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto p = all.rfind(')');
  if (p == std::string::npos) return -1;
  std::istringstream rest(all.substr(p + 2));
  std::string v;
  long utime = 0;
  for (int field = 3; rest >> v; ++field) {
    if (field == 14) utime = std::atol(v.c_str());
    if (field == 15) return utime + std::atol(v.c_str());
  }
  return -1;
}

// Runs a shell command and returns what it printed on standard output.
inline std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

// "load average: a, b, c" as uptime(1) prints it: every figure a bench prints on this shared
// machine goes with the load it was measured under.
inline std::string load_average() {
  std::string u = run_capture("uptime");
  auto p = u.find("load average");
  return p == std::string::npos ? u : u.substr(p, u.find_first_of("\r\n", p) - p);
}

}  // namespace hearth::bench
