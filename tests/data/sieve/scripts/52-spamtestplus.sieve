require ["spamtestplus", "relational", "comparator-i;ascii-numeric", "fileinto", "variables"];
if spamtest :percent :value "ge" :comparator "i;ascii-numeric" "50" {
  if spamtest :percent :matches "*" {
    fileinto "Spam-${1}";
  }
}
