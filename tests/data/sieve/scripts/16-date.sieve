require ["date", "relational", "fileinto", "copy"];
if date :originalzone "date" "weekday" "0" {
  fileinto "Sunday";
}
if date :zone "+0000" "date" "date" "2026-12-01" {
  fileinto "FirstOfDecember";
}
if date :value "lt" :zone "+0000" "date" "hour" "09" {
  fileinto "Early";
}
if currentdate :value "ge" "year" "2020" {
  fileinto :copy "ThisCentury";
}
