require ["enotify", "variables"];
if header :matches "from" "*" {
  notify :importance "1" :message "Mail from ${1}" "mailto:bob-pager@home.test";
}
