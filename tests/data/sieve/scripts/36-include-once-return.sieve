require ["include", "fileinto"];
include :once "helper";
include :once "helper";
if header :contains "subject" "lunch" {
  return;
}
fileinto "AfterReturn";
