#!/bin/bash
# Build a ready-to-run Thunderbird profile (no first-run wizard, no network noise):
#   prefs.js     one IMAP account (implicit TLS) + SMTP server, optionally one CalDAV calendar
#   cert9.db     NSS db with an EMPTY primary password that trusts TB_CA for TLS servers ("C,,")
#   logins.json  the password for IMAP, SMTP and CalDAV (via nss_logins.py)
#
# usage: mkprofile.sh PROFILE_DIR [--caldav] [--empty] [--marionette]
#   --caldav  also subscribe to the calendar at https://TB_HOST:TB_HTTPS_PORT$TB_CAL_PATH (cached)
#   --empty   no account at all (for the Account Hub / autoconfig flow); only prefs + CA
#   --marionette  let `thunderbird --marionette` pick a free port (written to PROFILE_DIR/MarionetteActivePort)
# environment (defaults in brackets):
#   TB_HOST [127.0.0.1]   name Thunderbird connects to; must match the certificate (DNS or IP SAN)
#   TB_IMAPS_PORT [993]   TB_SMTP_PORT [465]   TB_SMTP_SECURITY [tls|starttls, default tls]
#   TB_HTTPS_PORT [443]   TB_USER, TB_PASS, TB_CA (PEM of the CA or self-signed cert) — required
#   TB_NAME ["Test User"] display name of the identity
#   TB_CAL_PATH [/dav/calendars/$TB_USER/personal/]  calendar collection path (Hearth's default calendar)
#   TB_HTTP_REALM [probed]  Basic-auth realm of the DAV server; read from WWW-Authenticate if unset
# The directory is wiped first. Needs: certutil (libnss3-tools), python3, curl (realm probe).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
P=${1:?usage: mkprofile.sh PROFILE_DIR [--caldav] [--empty] [--marionette]}; shift
CALDAV=0 EMPTY=0 MARIONETTE=0
for a in "$@"; do case $a in --caldav) CALDAV=1 ;; --empty) EMPTY=1 ;; --marionette) MARIONETTE=1 ;; *) echo "unknown option $a" >&2; exit 2 ;; esac; done
HOST=${TB_HOST:-127.0.0.1} IMAPS=${TB_IMAPS_PORT:-993} SMTPP=${TB_SMTP_PORT:-465} HTTPS=${TB_HTTPS_PORT:-443}
CA=${TB_CA:?TB_CA (CA PEM) required}
USR=${TB_USER:-} PW=${TB_PASS:-}
[ $EMPTY = 1 ] || { [ -n "$USR" ] && [ -n "$PW" ]; } || { echo "TB_USER and TB_PASS required" >&2; exit 2; }
CALPATH=${TB_CAL_PATH:-/dav/calendars/$USR/personal/}
# socketType: 2 = STARTTLS, 3 = implicit TLS. authMethod 3 = normal password (PLAIN/LOGIN over TLS)
case ${TB_SMTP_SECURITY:-tls} in starttls) SMTPSOCK=2 ;; *) SMTPSOCK=3 ;; esac

rm -rf "$P"; mkdir -p "$P"
cat > "$P/prefs.js" <<PREFS
// quiet first run: no default-client prompt, start page, telemetry, updates, donation tab
user_pref("mail.shell.checkDefaultClient", false);
user_pref("mailnews.start_page.enabled", false);
user_pref("mail.rights.version", 1);
user_pref("mail.provider.enabled", false);
user_pref("mail.inappnotifications.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.update.disabledForTesting", true);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("extensions.update.enabled", false);
user_pref("app.donation.eoy.version.viewed", 999);
user_pref("browser.dom.window.dump.enabled", true);
user_pref("calendar.timezone.local", "UTC");
user_pref("calendar.timezone.useSystemTimezone", false);
user_pref("mail.startup.enabledMailCheckOnce", true);
// Ctrl+Enter would otherwise open a "really send?" dialog
user_pref("mail.warn_on_send_accel_key", false);
PREFS
# port 0: a free port, so that tests running side by side never collide
[ $MARIONETTE = 0 ] || echo 'user_pref("marionette.port", 0);' >> "$P/prefs.js"
if [ $EMPTY = 0 ]; then cat >> "$P/prefs.js" <<PREFS
user_pref("mail.accountmanager.accounts", "account1,account2");
user_pref("mail.accountmanager.defaultaccount", "account1");
user_pref("mail.accountmanager.localfoldersserver", "server2");
user_pref("mail.account.account1.identities", "id1");
user_pref("mail.account.account1.server", "server1");
user_pref("mail.account.account2.server", "server2");
user_pref("mail.account.lastKey", 2);
user_pref("mail.identity.id1.fullName", "${TB_NAME:-Test User}");
user_pref("mail.identity.id1.useremail", "$USR");
user_pref("mail.identity.id1.smtpServer", "smtp1");
user_pref("mail.identity.id1.valid", true);
user_pref("mail.server.server1.type", "imap");
user_pref("mail.server.server1.hostname", "$HOST");
user_pref("mail.server.server1.port", $IMAPS);
user_pref("mail.server.server1.socketType", 3);
user_pref("mail.server.server1.authMethod", 3);
user_pref("mail.server.server1.userName", "$USR");
user_pref("mail.server.server1.name", "$USR");
user_pref("mail.server.server1.login_at_startup", true);
user_pref("mail.server.server1.check_new_mail", true);
user_pref("mail.server.server1.check_all_folders_for_new", true);
user_pref("mail.server.server1.directory-rel", "[ProfD]ImapMail/server1");
user_pref("mail.server.server2.type", "none");
user_pref("mail.server.server2.hostname", "Local Folders");
user_pref("mail.server.server2.name", "Local Folders");
user_pref("mail.server.server2.userName", "nobody");
user_pref("mail.server.server2.directory-rel", "[ProfD]Mail/Local Folders");
user_pref("mail.smtpservers", "smtp1");
user_pref("mail.smtp.defaultserver", "smtp1");
user_pref("mail.smtpserver.smtp1.hostname", "$HOST");
user_pref("mail.smtpserver.smtp1.port", $SMTPP);
user_pref("mail.smtpserver.smtp1.try_ssl", $SMTPSOCK);
user_pref("mail.smtpserver.smtp1.authMethod", 3);
user_pref("mail.smtpserver.smtp1.username", "$USR");
user_pref("mail.smtpserver.smtp1.description", "test server");
PREFS
fi
if [ $CALDAV = 1 ]; then cat >> "$P/prefs.js" <<PREFS
user_pref("calendar.registry.cal1.type", "caldav");
user_pref("calendar.registry.cal1.uri", "https://$HOST:$HTTPS$CALPATH");
user_pref("calendar.registry.cal1.name", "test calendar");
user_pref("calendar.registry.cal1.username", "$USR");
user_pref("calendar.registry.cal1.cache.enabled", true);
user_pref("calendar.registry.cal1.calendar-main-default", true);
user_pref("calendar.registry.cal1.calendar-main-in-composite", true);
user_pref("calendar.registry.cal1.color", "#3b7a57");
user_pref("calendar.registry.cal1.imip.identity.key", "id1");
user_pref("calendar.list.sortOrder", "cal1");
PREFS
fi
certutil -N -d "sql:$P" --empty-password
certutil -A -d "sql:$P" -t "C,," -n test-ca -i "$CA"
if [ $EMPTY = 0 ]; then
  ORIGINS=("imap://$HOST" "smtp://$HOST")
  if [ $CALDAV = 1 ]; then
    # Thunderbird files HTTP logins under the Basic realm; ask the server which one it uses.
    REALM=${TB_HTTP_REALM:-$(curl -s -o /dev/null -D - --cacert "$CA" -X PROPFIND "https://$HOST:$HTTPS$CALPATH" \
      | sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: *Basic.*realm="\([^"]*\)".*/\1/p' | head -1)}
    [ -n "$REALM" ] || { echo "could not read the Basic realm from https://$HOST:$HTTPS$CALPATH (set TB_HTTP_REALM)" >&2; exit 1; }
    ORIGINS+=("https://$HOST:$HTTPS=$REALM")
  fi
  python3 "$HERE/nss_logins.py" "$P" "$USR" "$PW" "${ORIGINS[@]}"
fi
