#!/usr/bin/env bash
# `make run`: creates the development instance on first use, prints how to connect, serves.
# usage: run-dev.sh HEARTH_BINARY DEV_DIR EMAIL PORT_OFFSET   (DEV_LISTEN=addr to change 127.0.0.1)
set -euo pipefail
bin=$1 dir=$2 email=$3 offset=$4
listen=${DEV_LISTEN:-127.0.0.1}
if [ ! -f "$dir/hearth.toml" ]; then
  mkdir -p "$dir"
  out=$("$bin" quickstart --dev "$email" --dir "$dir" --port-offset "$offset" --listen "$listen")
  # Development only: keep the generated demo password so every `make run` can show it.
  printf '%s\n' "$out" | sed -n 's/^ *password: *//p' > "$dir/demo-password"
  chmod 600 "$dir/demo-password"
fi
cfg="$dir/hearth.toml"
pw=$(cat "$dir/demo-password" 2>/dev/null || echo '(see the quickstart output)')
p() { echo $(( $1 + offset )); }
cat <<MSG
================================================================================
Hearth development server — data in $dir, config $cfg
  account:   $email
  password:  $pw
  server:    $listen (certificate: trust $dir/data/tls/ca.crt)

  Thunderbird / K-9:  IMAP $listen port $(p 993) SSL/TLS (or $(p 143) STARTTLS)
                      SMTP $listen port $(p 465) SSL/TLS (or $(p 587) STARTTLS)
                      user name $email, normal password
  DAVx5:              https://$listen:$(p 443)/ with $email and the password
  XMPP (Gajim, Conversations): JID $email, host $listen, port $(p 5222) (or $(p 5223) direct TLS)

  More accounts: $bin --config $cfg user add NAME@${email#*@}
  Stop with Ctrl-C.
================================================================================
MSG
exec "$bin" --config "$cfg" serve
