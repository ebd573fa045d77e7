require ["fileinto", "variables"];
if header :matches "subject" "*\\?" {
  fileinto "EndsWithQuestion";
}
if header :matches "subject" "*[*]*" {
  fileinto "Brackets-${2}";
}
if header :matches "x-priority" "*" {
  fileinto "Prio-${1}";
}
