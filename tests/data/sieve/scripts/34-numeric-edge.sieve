require ["relational", "comparator-i;ascii-numeric", "fileinto"];
if header :value "gt" :comparator "i;ascii-numeric" "subject" "5" {
  fileinto "NonDigitIsInfinity";
}
if header :value "lt" "from" "b" {
  fileinto "CasemapLess";
}
if header :count "ge" :comparator "i;ascii-numeric" "received" "1" {
  fileinto "HasReceived";
}
