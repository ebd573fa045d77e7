require ["include", "fileinto"];
include :global "stopper";
fileinto "NotReached";
