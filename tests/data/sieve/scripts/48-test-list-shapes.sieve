# "not" takes one test, not a list (RFC 5228 §8.2).
if not (exists "x-a", exists "x-b") {
  discard;
}
