require ["include", "variables", "fileinto"];
global "folder";
set "folder" "Included";
include :personal "helper";
if header :contains "subject" "menu" {
  include :global "spam-rules";
}
