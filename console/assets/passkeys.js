// Adding a passkey on My account: asks the server for a registration
// challenge, lets the browser make the key, and sends its answer with the
// form. The form stays hidden where the browser has no WebAuthn.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("add-passkey");
  if (!form || !window.PublicKeyCredential || !window.fetch) {
    return;
  }
  form.hidden = false;
  var status = form.querySelector("[role=status]");

  var bytes = window.b64url.bytes, text = window.b64url.text;
  function say(msg) { status.textContent = msg; }

  form.addEventListener("submit", function (e) {
    if (form.elements.credential.value) {
      return; // the answer is in: the form goes to the server
    }
    e.preventDefault();
    say("Follow your browser's steps to make the passkey…");
    var body = new URLSearchParams({form_token: form.elements.form_token.value});
    fetch("/account/passkeys/begin", {method: "POST", body: body, credentials: "same-origin"})
      .then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) { throw new Error(j.error || "the server refused"); }
          return j;
        });
      })
      .then(function (o) {
        var pk = o.publicKey;
        pk.challenge = bytes(pk.challenge);
        pk.user.id = bytes(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
        form.elements.ceremony.value = o.ceremony;
        return navigator.credentials.create({publicKey: pk});
      })
      .then(function (c) {
        var answer = {
          id: c.id, rawId: text(c.rawId), type: c.type,
          response: {
            clientDataJSON: text(c.response.clientDataJSON),
            attestationObject: text(c.response.attestationObject),
            transports: c.response.getTransports ? c.response.getTransports() : []
          },
          clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {}
        };
        form.elements.credential.value = JSON.stringify(answer);
        form.submit();
      })
      .catch(function (err) {
        say("No passkey was added: " + (err && err.message ? err.message : "the browser gave up") + ".");
      });
  });
});
