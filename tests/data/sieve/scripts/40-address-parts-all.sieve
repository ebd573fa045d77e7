require ["fileinto", "variables"];
if address :all :matches "from" "*" {
  set "all" "${1}";
}
if address :localpart :is ["to", "cc"] "frank" {
  fileinto "Frank-${all}";
}
if address :domain :contains "to" "HOME" {
  fileinto "HomeDomain";
}
if header :contains "to" "Eve" {
  fileinto "EveByName";
}
