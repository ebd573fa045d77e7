require ["environment", "fileinto"];
if environment :is "location" "MDA" {
  if environment :is "phase" "during" {
    fileinto "EnvOk";
  }
}
