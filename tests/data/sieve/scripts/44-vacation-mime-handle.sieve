require ["vacation"];
if address :is "to" "bob@home.test" {
  vacation :days 1 :handle "winter" :subject "Away" "Back in January.";
}
