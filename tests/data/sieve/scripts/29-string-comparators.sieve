require ["fileinto", "variables"];
if header :is :comparator "i;octet" "subject" "lunch on friday?" {
  fileinto "OctetWrong";
}
if header :is :comparator "i;ascii-casemap" "subject" "LUNCH ON FRIDAY?" {
  fileinto "Casemap";
}
if address :all :comparator "i;octet" :is "to" "Bob@home.test" {
  fileinto "OctetAddress";
}
