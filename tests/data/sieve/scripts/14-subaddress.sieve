require ["subaddress", "fileinto", "variables"];
if address :detail "to" "*" {
  if address :detail :matches "to" "*" {
    fileinto "Tagged/${1}";
  }
}
if address :user "to" "bob" {
  keep;
}
