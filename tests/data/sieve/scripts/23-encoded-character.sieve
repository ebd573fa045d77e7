require ["encoded-character", "fileinto"];
if header :contains "subject" "${unicode:20AC}50" {
  fileinto "${hex:45 75 72 6f}";
}
if header :contains "subject" "Caf${unicode:e9}" {
  fileinto "Cafe";
}
