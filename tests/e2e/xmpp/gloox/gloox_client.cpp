// gloox (GPL-3.0, test-only: never linked into hearth) driving two accounts against hearth:
//   1. B logs in and waits; A logs in (SASL over STARTTLS), fetches its roster;
//   2. A subscribes to B, B accepts and subscribes back (both get "both");
//   3. A and B exchange messages both ways;
//   4. B logs out, A sends a message, B logs in again and receives it (offline storage).
// Prints one "ok STEP" / "FAIL STEP" line per step; exit 0 when every step passed.
//
// usage: gloox_client HOST PORT A_JID A_PW B_JID B_PW CAFILE [--mech scram|scram256|plain|any] [--timeout S]
#include <gloox/client.h>
#include <gloox/connectionlistener.h>
#include <gloox/message.h>
#include <gloox/messagehandler.h>
#include <gloox/rostermanager.h>
#include <gloox/rosterlistener.h>
#include <gloox/tlsdefault.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <string>

using namespace gloox;

namespace {

struct Options {
  std::string host, cafile, mech = "scram";
  int port = 0;
  int timeout = 30;
};

class Agent : public ConnectionListener, public MessageHandler, public RosterListener {
 public:
  Agent(const Options& o, const std::string& jid, const std::string& pw, const std::string& resource) {
    JID j(jid);
    j.setResource(resource);
    client_ = std::make_unique<Client>(j, pw, o.port);
    client_->setServer(o.host);
    client_->setTls(TLSRequired);
    auto* tls = new TLSDefault(client_.get(), j.server(), TLSDefault::VerifyingClient);
    if (tls->init()) {
      tls->setCACerts(StringList{o.cafile});
      client_->setEncryptionImpl(tls);
    }
    if (o.mech == "scram") client_->setSASLMechanisms(SaslMechScramSha1);
    else if (o.mech == "plain") client_->setSASLMechanisms(SaslMechPlain);
    client_->registerConnectionListener(this);
    client_->registerMessageHandler(this);
    client_->rosterManager()->registerRosterListener(this, true);
    client_->setPresence(Presence::Available, 0);
  }
  ~Agent() { client_->disconnect(); }

  bool connected = false, disconnected = false, tls_ok = false;
  int roster_items = -1;
  std::set<std::string> subscribed;  // JIDs whose subscription was confirmed
  std::set<std::string> bodies;

  Client& client() { return *client_; }
  bool start() { return client_->connect(false); }
  void poll() {
    if (!disconnected && client_->recv(20000) != ConnNoError) disconnected = true;
  }
  void send(const std::string& to, const std::string& body) {
    Message m(Message::Chat, JID(to), body);
    client_->send(m);
  }

  void onConnect() override { connected = true; }
  void onDisconnect(ConnectionError e) override {
    if (!connected) std::printf("disconnected before session: error %d auth %d\n", (int)e, (int)client_->authError());
    disconnected = true;
  }
  bool onTLSConnect(const CertInfo& info) override {
    tls_ok = info.status == CertOk;
    if (!tls_ok) std::printf("TLS certificate not accepted: status %d\n", info.status);
    return tls_ok;
  }
  void handleMessage(const Message& msg, MessageSession*) override {
    if (!msg.body().empty()) bodies.insert(msg.body());
  }
  void handleRoster(const Roster& roster) override { roster_items = (int)roster.size(); }
  void handleItemAdded(const JID&) override {}
  void handleItemSubscribed(const JID& j) override { subscribed.insert(j.bare()); }
  void handleItemRemoved(const JID&) override {}
  void handleItemUpdated(const JID&) override {}
  void handleItemUnsubscribed(const JID&) override {}
  void handleRosterPresence(const RosterItem&, const std::string&, Presence::PresenceType, const std::string&) override {}
  void handleSelfPresence(const RosterItem&, const std::string&, Presence::PresenceType, const std::string&) override {}
  // Accept and subscribe back (gloox's synchronous mode).
  bool handleSubscriptionRequest(const JID& j, const std::string&) override {
    if (subscribe_back && !asked_back.count(j.bare())) {
      asked_back.insert(j.bare());
      client_->rosterManager()->subscribe(j.bareJID());
    }
    return true;
  }
  bool subscribe_back = true;
  std::set<std::string> asked_back;
  bool handleUnsubscriptionRequest(const JID&, const std::string&) override { return true; }
  void handleNonrosterPresence(const Presence&) override {}
  void handleRosterError(const IQ&) override { std::printf("roster error\n"); }

 private:
  std::unique_ptr<Client> client_;
};

int failures = 0;
bool step(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  std::fflush(stdout);
  if (!ok) ++failures;
  return ok;
}

// Polls the agents until cond() or the deadline.
bool wait_for(std::initializer_list<Agent*> agents, const std::function<bool()>& cond, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    for (auto* a : agents) a->poll();
  }
  return cond();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr, "usage: %s HOST PORT A_JID A_PW B_JID B_PW CAFILE [--mech M] [--timeout S]\n", argv[0]);
    return 64;
  }
  Options o;
  o.host = argv[1];
  o.port = std::atoi(argv[2]);
  std::string a_jid = argv[3], a_pw = argv[4], b_jid = argv[5], b_pw = argv[6];
  o.cafile = argv[7];
  for (int i = 8; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--mech")) o.mech = argv[++i];
    else if (!std::strcmp(argv[i], "--timeout")) o.timeout = std::atoi(argv[++i]);
  }
  const int t = o.timeout;
  {
    auto b = std::make_unique<Agent>(o, b_jid, b_pw, "gloox-b");
    Agent a(o, a_jid, a_pw, "gloox-a");
    step(b->start() && a.start(), "connect");
    bool up = wait_for({&a, b.get()}, [&] { return (a.connected && b->connected) || a.disconnected || b->disconnected; }, t);
    if (!step(up && a.connected && b->connected && a.tls_ok, "login with SASL over STARTTLS (verified certificate)")) return 1;
    step(wait_for({&a, b.get()}, [&] { return a.roster_items >= 0 && b->roster_items >= 0; }, t), "roster fetched");

    a.client().rosterManager()->subscribe(JID(b_jid), "B", StringList{"Friends"});
    bool mutual = wait_for({&a, b.get()}, [&] { return a.subscribed.count(b_jid) && b->subscribed.count(a_jid); }, t);
    step(mutual, "mutual subscription (subscribe, subscribed, subscribe back)");

    a.send(b_jid, "hello from A");
    step(wait_for({&a, b.get()}, [&] { return b->bodies.count("hello from A") > 0; }, t), "A -> B message delivered");
    b->send(a_jid, "hello from B");
    step(wait_for({&a, b.get()}, [&] { return a.bodies.count("hello from B") > 0; }, t), "B -> A message delivered");

    b.reset();  // B logs out
    wait_for({&a}, [] { return false; }, 1);
    a.send(b_jid, "while you were away");
    wait_for({&a}, [] { return false; }, 1);
    Agent b2(o, b_jid, b_pw, "gloox-b2");
    b2.start();
    bool got = wait_for({&a, &b2}, [&] { return b2.bodies.count("while you were away") > 0; }, t);
    step(got, "offline message delivered at next login");
    step(b2.roster_items >= 1, "roster of B holds A after login");
  }
  std::printf("%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
