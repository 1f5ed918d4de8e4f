#include "serve_cmd.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "openrms/error.hpp"
#include "openrms/protect/mail_settings.hpp"
#include "openrms/server/mailer.hpp"
#include "openrms/server/portal.hpp"
#include "openrms/server/service.hpp"
#include "password.hpp"
#include "server_access.hpp"

namespace openrms::cli {

namespace {

struct ServeArgs : StoreArgs {
  std::string config, address = "127.0.0.1", tls_cert, tls_key, jwks_file, issuer, audience;
  std::string identity_claim = "email", groups_claim = "groups", role_claim = "roles";
  std::string admin_role = "openrms.admin", ca_file, directory, access_log, port_file;
  int port = 8443;
  bool insecure_http = false, oidc_discovery = false;
  std::size_t max_connections = 512, max_body = server::kMaxBody,
              max_deposit_body = server::kMaxDepositBody;
  double rate_limit = 1000;
  int read_timeout_ms = 15000, drain_timeout_ms = 15000, clock_skew = 60;
  unsigned workers = 32, io_threads = 0;
  std::vector<std::string> trusted_proxies;
  // The external-recipient portal: on when an SMTP relay is named.
  std::string smtp_url, smtp_starttls = "required", smtp_user, smtp_password_file, smtp_ca_file;
  std::string portal_from = "no-reply@localhost";
  int portal_client_limit = 20;
  int portal_code_validity = 900;
  // Sign-in with an OpenID provider in the portal (for brandings with SocialIDSignIn).
  std::string signin_issuer, signin_client_id, signin_secret_file, signin_redirect_uri;
  std::string signin_name = "your account", signin_ca_file;
};

// The portal and the relay it mails passcodes through, when --smtp-url names one.
struct PortalParts {
  std::unique_ptr<server::SmtpMailer> mailer;
  std::unique_ptr<server::OidcSignIn> sign_in;
  std::unique_ptr<server::Portal> portal;
};

PortalParts make_portal(const ServeArgs& a, Opened& o, protect::mail::MailSettings& mail) {
  PortalParts p;
  if (a.smtp_url.empty()) return p;
  server::SmtpOptions so;
  so.url = a.smtp_url;
  so.starttls = a.smtp_starttls;
  so.username = a.smtp_user;
  so.ca_file = a.smtp_ca_file;
  if (!a.smtp_password_file.empty()) {
    auto pw = read_password(PasswordSource{{}, a.smtp_password_file});
    if (pw) so.password = std::move(*pw);
  }
  p.mailer = std::make_unique<server::SmtpMailer>(std::move(so));
  server::PortalOptions po;
  po.from_address = a.portal_from;
  if (a.portal_client_limit < 1) fail(Errc::invalid_argument, "--portal-client-limit is >= 1");
  po.codes_per_client = a.portal_client_limit;
  po.verifies_per_client = a.portal_client_limit + a.portal_client_limit / 2;
  if (a.portal_code_validity < 5 || a.portal_code_validity > 3600)
    fail(Errc::invalid_argument, "--portal-code-validity is 5..3600 seconds");
  po.code_validity = std::chrono::seconds(a.portal_code_validity);
  if (!a.signin_issuer.empty()) {
    if (a.signin_client_id.empty() || a.signin_redirect_uri.empty())
      fail(Errc::invalid_argument,
           "--portal-signin-issuer needs --portal-signin-client-id and "
           "--portal-signin-redirect-uri (https://THIS-HOST/portal/oidc/callback)");
    server::OidcOptions oo;
    oo.issuer = a.signin_issuer;
    oo.client_id = a.signin_client_id;
    oo.redirect_uri = a.signin_redirect_uri;
    oo.display_name = a.signin_name;
    oo.ca_file = a.signin_ca_file;
    oo.clock_skew = std::chrono::seconds(a.clock_skew);
    if (!a.signin_secret_file.empty()) {
      auto secret = read_password(PasswordSource{{}, a.signin_secret_file});
      if (secret) oo.client_secret = std::move(*secret);
    }
    p.sign_in = std::make_unique<server::OidcSignIn>(std::move(oo));
    po.sign_in = p.sign_in.get();
  }
  p.portal = std::make_unique<server::Portal>(*o.server, *o.store, mail, *p.mailer, po);
  return p;
}

// Settings from a JSON config file whose keys are the long option names ("tls-cert" or
// "tls_cert"); an option given on the command line wins.
void apply_config(CLI::App* c, const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(Errc::io, "cannot read the config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (!doc.is_object()) fail(Errc::bad_format, path + " is not a JSON object");
  for (const auto& [key, value] : doc.items()) {
    std::string name = "--" + key;
    for (auto& ch : name)
      if (ch == '_') ch = '-';
    CLI::Option* opt = nullptr;
    try {
      opt = c->get_option(name);
    } catch (const CLI::OptionNotFound&) {
      fail(Errc::invalid_argument, path + ": unknown setting \"" + key + "\"");
    }
    if (name == "--config") fail(Errc::invalid_argument, path + ": a config cannot name another");
    if (opt->count() > 0) continue;  // the command line wins
    if (value.is_array()) {
      for (const auto& item : value)
        opt->add_result(item.is_string() ? item.get<std::string>() : item.dump());
      opt->run_callback();
      continue;
    }
    std::string v = value.is_string() ? value.get<std::string>() : value.dump();
    if (value.is_boolean() && !value.get<bool>()) continue;
    if (value.is_boolean()) v = "true";
    opt->add_result(v);
    opt->run_callback();
  }
}

void serve(CLI::App* c, ServeArgs& a) {
  if (!a.config.empty()) apply_config(c, a.config);
  if (a.port < 0 || a.port > 65535) fail(Errc::invalid_argument, "--port is 0..65535");
  std::unique_ptr<licensing::FileDirectory> file_dir;
  if (!a.directory.empty()) file_dir = std::make_unique<licensing::FileDirectory>(a.directory);
  server::TokenDirectory directory(file_dir.get());
  Opened o = open_server(a, true, &directory);
  protect::mail::MailSettings mail(*o.store);
  PortalParts portal = make_portal(a, o, mail);
  server::Api api(*o.server, &mail, portal.portal.get());

  std::unique_ptr<server::Authenticator> auth;
  if (!a.jwks_file.empty() || a.oidc_discovery) {
    server::AuthOptions ao;
    ao.issuer = a.issuer;
    ao.audience = a.audience;
    ao.jwks_file = a.jwks_file;
    ao.discover = a.oidc_discovery;
    ao.ca_file = a.ca_file;
    ao.identity_claim = a.identity_claim;
    ao.groups_claim = a.groups_claim;
    ao.role_claim = a.role_claim;
    ao.admin_role = a.admin_role;
    ao.clock_skew = std::chrono::seconds(a.clock_skew);
    auth = std::make_unique<server::Authenticator>(std::move(ao));
  } else {
    fail(Errc::invalid_argument,
         "the service needs a token issuer: --jwks-file FILE or --oidc-discovery, with --issuer "
         "and --audience");
  }

  std::FILE* log = nullptr;
  if (a.access_log == "-")
    log = stdout;
  else if (!a.access_log.empty() && !(log = std::fopen(a.access_log.c_str(), "a")))
    fail(Errc::io, "cannot open the access log " + a.access_log);

  server::ServiceOptions so;
  so.address = a.address;
  so.port = static_cast<std::uint16_t>(a.port);
  so.cert_file = a.tls_cert;
  so.key_file = a.tls_key;
  so.insecure_http = a.insecure_http;
  so.max_body = a.max_body;
  so.max_deposit_body = a.max_deposit_body;
  so.max_connections = a.max_connections;
  so.rate_per_client = a.rate_limit;
  so.trusted_proxies = a.trusted_proxies;
  so.rate_burst = 2 * a.rate_limit;
  so.read_timeout = std::chrono::milliseconds(a.read_timeout_ms);
  so.drain_timeout = std::chrono::milliseconds(a.drain_timeout_ms);
  so.worker_threads = a.workers;
  so.io_threads = a.io_threads;
  so.access_log = log;
  so.portal = portal.portal.get();
  so.ready_probe = [store = o.store.get()] {
    try {
      (void)store->setting("openrms.readiness");  // a read that reaches the database
      return true;
    } catch (...) {
      return false;
    }
  };
  server::Service service(api, auth.get(), &directory, so);

  const auto port = service.port();
  if (a.insecure_http)
    std::fprintf(stderr,
                 "openrms serve: WARNING: plain HTTP without TLS (--insecure-http). Tokens and "
                 "licenses cross the network in the clear: only behind a TLS-terminating proxy "
                 "on this host.\n");
  std::fprintf(stderr, "openrms serve: listening on %s://%s:%u (store %s, %zu signing key(s))\n",
               a.insecure_http ? "http" : "https", a.address.c_str(), port, a.store.c_str(),
               auth->keys());
  if (portal.portal)
    std::fprintf(stderr,
                 "openrms serve: the portal answers on /portal/ (passcodes through %s); point the "
                 "IRM configuration's portal_url at /portal/read on this host\n",
                 a.smtp_url.substr(0, a.smtp_url.find('/', a.smtp_url.find("//") + 2)).c_str());
  if (!a.port_file.empty()) write_text_file(a.port_file, std::to_string(port) + "\n");
  service.run();
  std::fprintf(stderr, "openrms serve: stopped\n");
  if (log && log != stdout) std::fclose(log);
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* c = app.add_subcommand(
      "serve", "Run the licensing service over HTTPS (the /v1/ API, /healthz, /readyz, /metrics)");
  c->footer(
      "Clients authenticate with OAuth 2.0 bearer tokens (OIDC JWTs, RS256/ES256) from the issuer\n"
      "you name. Example:\n"
      "  openrms serve --store /var/lib/openrms/store.db --tls-cert cert.pem --tls-key key.pem \\\n"
      "    --issuer https://login.example.com --audience openrms --jwks-file jwks.json\n"
      "Every option can also come from --config FILE (JSON, keys = option names without the\n"
      "dashes, e.g. {\"tls-cert\": \"cert.pem\", \"port\": 443}); the command line wins.\n"
      "SIGTERM drains: requests in flight finish, /readyz says 503, then the process exits.\n"
      "With --smtp-url the service also answers the external-recipient portal on /portal/:\n"
      "recipients outside the tenant read protected mail after a one-time passcode mailed\n"
      "through that relay (senders deposit messages with POST /v1/portal/messages).\n"
      "With --portal-signin-issuer they may instead sign in with that OpenID provider\n"
      "(authorisation code + PKCE) when the message's branding has SocialIDSignIn:\n"
      "  --portal-signin-issuer https://accounts.google.com --portal-signin-name Google \\\n"
      "    --portal-signin-client-id ID --portal-signin-secret-file secret.txt \\\n"
      "    --portal-signin-redirect-uri https://rms.example.com/portal/oidc/callback");
  add_store_options(c, *a);
  c->add_option("--config", a->config, "JSON settings file (keys are the option names)");
  c->add_option("--address", a->address, "Address to listen on (default 127.0.0.1)");
  c->add_option("--port", a->port, "Port to listen on; 0 lets the system pick (default 8443)");
  c->add_option("--port-file", a->port_file, "Write the port listened on to this file");
  c->add_option("--tls-cert", a->tls_cert, "PEM certificate chain for HTTPS");
  c->add_option("--tls-key", a->tls_key, "PEM private key for HTTPS");
  c->add_flag("--insecure-http", a->insecure_http,
              "Serve plain HTTP (only behind a TLS-terminating proxy on this host)");
  c->add_option("--issuer", a->issuer, "The token issuer (the \"iss\" every token must carry)");
  c->add_option("--audience", a->audience, "The audience every token must name (\"aud\")");
  c->add_option("--jwks-file", a->jwks_file, "The issuer's signing keys (a JWKS file)");
  c->add_flag("--oidc-discovery", a->oidc_discovery,
              "Fetch the signing keys from ISSUER/.well-known/openid-configuration");
  c->add_option("--ca-file", a->ca_file, "CA roots for reaching the issuer (discovery)");
  c->add_option("--identity-claim", a->identity_claim,
                "Claim holding the user's address: email (default), upn, preferred_username, sub");
  c->add_option("--groups-claim", a->groups_claim, "Claim listing group addresses (groups)");
  c->add_option("--role-claim", a->role_claim, "Claim listing roles (roles)");
  c->add_option("--admin-role", a->admin_role, "Role that grants the admin routes");
  c->add_option("--clock-skew", a->clock_skew, "Seconds of clock skew tolerated (60)");
  c->add_option("--directory", a->directory,
                "Group file (\"group@x: a@x, b@x\" lines) added to the tokens' groups");
  c->add_option("--access-log", a->access_log, "Append a JSON-lines access log here ('-': stdout)");
  c->add_option("--max-connections", a->max_connections, "Open connections at most (512)");
  c->add_option("--max-body", a->max_body, "Largest request body in bytes (4 MiB)");
  c->add_option("--max-deposit-body", a->max_deposit_body,
                "Largest portal deposit (POST /v1/portal/messages) in bytes, at most the "
                "default 32 MiB (about a 13 MiB message)");
  c->add_option("--rate-limit", a->rate_limit,
                "Requests per second per client address, 0 for none (1000)");
  c->add_option("--trusted-proxy", a->trusted_proxies,
                "Address of a reverse proxy whose X-Forwarded-For names the client "
                "(repeatable); rate limits and the access log then use that client");
  c->add_option("--read-timeout-ms", a->read_timeout_ms,
                "A connection must deliver each request within this (15000)");
  c->add_option("--drain-timeout-ms", a->drain_timeout_ms,
                "How long SIGTERM waits for requests in flight (15000)");
  c->add_option("--workers", a->workers, "Handler threads (32)");
  c->add_option("--io-threads", a->io_threads, "Network threads (0: one per core)");
  c->add_option("--smtp-url", a->smtp_url,
                "Serve the external-recipient portal on /portal/, mailing one-time passcodes "
                "through this relay (smtp://host:port or smtps://host:port)");
  c->add_option("--smtp-starttls", a->smtp_starttls,
                "With smtp://: 'required' (default) or 'off' (a relay on this host)")
      ->check(CLI::IsMember({"required", "off"}));
  c->add_option("--smtp-user", a->smtp_user, "SMTP user name (AUTH; only over TLS)");
  c->add_option("--smtp-password-file", a->smtp_password_file, "SMTP password, first line");
  c->add_option("--smtp-ca-file", a->smtp_ca_file, "CA roots for the relay's certificate");
  c->add_option("--portal-client-limit", a->portal_client_limit,
                "Passcodes one client address may ask for per 15 minutes (20; code entries: 1.5x)");
  c->add_option("--portal-from", a->portal_from,
                "Sender address of the passcode mails (default no-reply@localhost)");
  c->add_option("--portal-code-validity", a->portal_code_validity,
                "Seconds a mailed passcode stays valid (900 = 15 minutes; 5..3600)");
  c->add_option("--portal-signin-issuer", a->signin_issuer,
                "Offer sign-in with this OpenID provider in the portal (its issuer URL; found "
                "by discovery on first use)");
  c->add_option("--portal-signin-client-id", a->signin_client_id,
                "The portal's client id at that provider");
  c->add_option("--portal-signin-secret-file", a->signin_secret_file,
                "The client secret, first line (none: a public client, PKCE alone)");
  c->add_option("--portal-signin-redirect-uri", a->signin_redirect_uri,
                "The callback registered at the provider: https://HOST/portal/oidc/callback");
  c->add_option("--portal-signin-name", a->signin_name,
                "The provider's name on the button \"Sign in with NAME\"");
  c->add_option("--portal-signin-ca-file", a->signin_ca_file,
                "CA roots for the provider's certificate (default: the system's)");
  c->callback([c, a] { serve(c, *a); });
}

}  // namespace openrms::cli
