// The schema keys of HTTP and what runs on it, and of filtering and backup: [http], [dav], [web],
// [filter.*], [backup_mx], [backup].
#include "core/config/schema_build.hpp"

namespace hearth::config::detail {

void add_service_keys(std::vector<key_def>& k) {
  // [http]
  k.push_back(integer("http.max_body_size", 20ll << 20, 64ll << 10, 1ll << 30, "largest HTTPS request body, in octets (413 above)",
                      bind<&config::http_max_body_size>()));
  k.push_back(integer("http.header_timeout", 30, 1, 3600,
                      "seconds a client has to send a whole request head (line and header fields)",
                      bind<&config::http_header_timeout>()));
  k.push_back(integer("http.body_timeout", 20, 1, 3600,
                      "seconds a client has to send a request body, plus one for every body_min_rate octets received "
                      "(at most listen.read_timeout in all)",
                      bind<&config::http_body_timeout>()));
  k.push_back(integer("http.body_min_rate", 500, 0, 1ll << 30,
                      "octets of body that buy one more second of body_timeout; 0 = body_timeout is the whole limit",
                      bind<&config::http_body_min_rate>()));
  // [dav]
  // [web] (web/)
  k.push_back(integer("web.session_lifetime", 12 * 3600, 5, 30 * day,
                      "seconds a web console sign-in lasts, used or not", bind<&config::web_session_lifetime>()));
  k.push_back(integer("web.session_idle", 2 * 3600, 0, 30 * day,
                      "seconds without a request after which a web console session ends; 0 = only the lifetime",
                      bind<&config::web_session_idle>()));
  k.push_back(integer("dav.max_resource_size", 10ll << 20, 16ll << 10, 1ll << 30,
                      "largest calendar object or vCard, in octets (CalDAV/CardDAV max-resource-size)",
                      bind<&config::dav_max_resource_size>()));
  // [filter.*] (mail/filter); scores are validated by `hearth serve` (app/serve_filter.cpp).
  k.push_back(str("filter.client.rdns_none", "1.5", "client without a reverse DNS (PTR) name: a spam score, or \"reject\"",
                  bind<&config::filter_rdns_none>()).not_empty());
  k.push_back(str("filter.client.rdns_mismatch", "1", "client whose PTR name does not resolve back to it: a score, or \"reject\"",
                  bind<&config::filter_rdns_mismatch>()).not_empty());
  k.push_back(str("filter.client.helo_not_fqdn", "1", "EHLO argument that is not a FQDN or address literal: a score, or \"reject\"",
                  bind<&config::filter_helo_not_fqdn>()).not_empty());
  k.push_back(boolean("filter.greylist.enabled", true, "greylist unknown (client /24 or /64, sender, recipient) triplets",
                      bind<&config::filter_greylist_enabled>()));
  k.push_back(integer("filter.greylist.passtime", 180, 0, day, "seconds before a retry passes",
                      bind<&config::filter_greylist_passtime>()));
  k.push_back(integer("filter.greylist.greyexp", 4 * 3600, 1, 30 * day, "seconds a first attempt waits for its retry",
                      bind<&config::filter_greylist_greyexp>()));
  k.push_back(integer("filter.greylist.whiteexp", 36 * day, 1, 365 * day, "seconds a passed triplet stays accepted (renewed on use)",
                      bind<&config::filter_greylist_whiteexp>()));
  k.push_back(list("filter.greylist.allowlist", {}, "never delayed: IPs, CIDR networks, client host names (e.g. our backup MX)",
                   bind<&config::filter_greylist_allowlist>()));
  k.push_back(list("filter.dnsbl.client", {}, "DNSBL/DNSWL zones for the client address: \"zone\", \"zone:WEIGHT\" or \"zone:reject\"",
                   bind<&config::filter_dnsbl_client>()));
  k.push_back(list("filter.dnsbl.sender", {}, "RHSBL zones for the sender domain, same syntax",
                   bind<&config::filter_dnsbl_sender>()));
  k.push_back(list("filter.dnsbl.uri", {}, "URIBL zones for the domains of links in the body, same syntax",
                   bind<&config::filter_dnsbl_uri>()));
  k.push_back(str("filter.dnsbl.weight", "3", "spam score of a listing when the zone names none",
                  bind<&config::filter_dnsbl_weight>()).not_empty());
  k.push_back(str("filter.spam.threshold", "5", "spam score at or above which mail goes to the Junk folder",
                  bind<&config::filter_spam_threshold>()).not_empty());
  k.push_back(str("filter.spam.reject_threshold", "15", "spam score at or above which mail is refused (550 5.7.1)",
                  bind<&config::filter_spam_reject_threshold>()).not_empty());
  // [filter.bayes], [filter.antivirus]; validated by `hearth serve` (app/serve_spam.cpp).
  k.push_back(integer("filter.decisions.days", 30, 0, 366,
                      "days the decision about each incoming message (blocklists, greylisting, spam score, refusal) is kept for the admin console; 0 = not kept",
                      bind<&config::filter_decisions_days>()));
  k.push_back(integer("filter.decisions.max", 200000, 1000, 100000000,
                      "decisions kept at most (the oldest are dropped first)", bind<&config::filter_decisions_max>()));
  k.push_back(boolean("filter.bayes.enabled", true, "score incoming mail with the learning (Bayesian) spam filter",
                      bind<&config::filter_bayes_enabled>()));
  k.push_back(integer("filter.bayes.min_spam", 200, 0, 1000000, "trained spam messages needed before the filter votes",
                      bind<&config::filter_bayes_min_spam>()));
  k.push_back(integer("filter.bayes.min_ham", 200, 0, 1000000, "trained ham (good) messages needed before the filter votes",
                      bind<&config::filter_bayes_min_ham>()));
  k.push_back(str("filter.bayes.spam_cutoff", "0.995", "classifier probability at or above which a message is spam",
                  bind<&config::filter_bayes_spam_cutoff>()).not_empty());
  k.push_back(str("filter.bayes.ham_cutoff", "0.2", "classifier probability below which a message is ham (between: unsure)",
                  bind<&config::filter_bayes_ham_cutoff>()).not_empty());
  k.push_back(str("filter.bayes.spam_score", "6", "spam score of BAYES_99 (BAYES_90 gets 85% of it)",
                  bind<&config::filter_bayes_spam_score>()).not_empty());
  k.push_back(str("filter.bayes.ham_score", "-2", "spam score of BAYES_00, usually negative (BAYES_05 gets half)",
                  bind<&config::filter_bayes_ham_score>()).not_empty());
  k.push_back(boolean("filter.bayes.learn", true, "learn from IMAP: moves into/out of Junk, $Junk/$NotJunk keywords",
                      bind<&config::filter_bayes_learn>()));
  k.push_back(boolean("filter.bayes.learn_site_wide", true, "a user's lessons also count in the site-wide database",
                      bind<&config::filter_bayes_learn_site_wide>()));
  k.push_back(boolean("filter.bayes.trust_contacts", true,
                      "mail from the recipient's CardDAV contacts or from addresses they wrote to is never sent to Junk by the filter",
                      bind<&config::filter_bayes_trust_contacts>()));
  k.push_back(str("filter.antivirus.clamd", "", "clamd socket: a Unix path or host:port; empty = no virus scanning",
                  bind<&config::filter_antivirus_clamd>()));
  k.push_back(boolean("filter.antivirus.submission", false, "also scan mail our users send (587/465), not only port 25",
                      bind<&config::filter_antivirus_submission>()));
  k.push_back(str("filter.antivirus.on_error", "defer", "when clamd fails: \"defer\" (451 4.7.1) or \"accept\" (marked X-Virus-Status: Unchecked)",
                  bind<&config::filter_antivirus_on_error>()).not_empty());
  k.push_back(integer("filter.antivirus.timeout", 30, 1, 600, "seconds clamd has to connect, read and answer",
                      bind<&config::filter_antivirus_timeout>()));
  k.push_back(integer("filter.antivirus.max_stream_bytes", 25ll << 20, 1ll << 20, 1ll << 30,
                      "octets of a message sent to clamd: at most its StreamMaxLength",
                      bind<&config::filter_antivirus_max_stream_bytes>()));
  // [backup_mx]
  k.push_back(list("backup_mx.domains", {}, "domains this server is a backup MX for: their mail is kept and relayed to the primary",
                   bind<&config::backup_mx_domains>(), syntax::dns_name));
  k.push_back(str("backup_mx.recipients", "any", "\"any\", or a file of accepted addresses, one per line (synced from the primary)",
                  bind<&config::backup_mx_recipients>()).not_empty());
  k.push_back(integer("backup_mx.retention", 7 * day, 1, 60 * day, "seconds relayed mail waits for the primary before it is returned",
                      bind<&config::backup_mx_retention>()));
  k.push_back(str("backup_mx.sync_url", "", "backup: the primary's https base URL; its recipient lists replace backup_mx.recipients",
                  bind<&config::backup_mx_sync_url>()));
  k.push_back(str("backup_mx.sync_secret", "", "shared secret of the recipient sync; on the primary it enables GET /hearth/backup-mx/recipients",
                  bind<&config::backup_mx_sync_secret>()));
  k.push_back(integer("backup_mx.sync_interval", 600, 10, 7 * day, "backup: seconds between recipient syncs (the first at start)",
                      bind<&config::backup_mx_sync_interval>()));
  k.push_back(str("backup_mx.sync_ca_file", "", "backup: PEM CA bundle trusted for the primary's certificate, besides the system's",
                  bind<&config::backup_mx_sync_ca_file>(), syntax::path));
  // [backup]
  k.push_back(str("backup.destination", "",
                  "folder that `hearth serve` writes a backup snapshot into every backup.interval (\"\" = none); "
                  "the same as `hearth backup DEST`",
                  bind<&config::backup_destination>(), syntax::path));
  k.push_back(integer("backup.interval", day, 5, 30 * day, "seconds between two scheduled backups (the next when the newest snapshot there is this old; at the earliest 60 s after start)",
                      bind<&config::backup_interval>()));
  k.push_back(integer("backup.retention", 7, 0, 100000, "snapshots kept in the destination, newest first; 0 = keep all",
                      bind<&config::backup_retention>()));
}

}  // namespace hearth::config::detail
