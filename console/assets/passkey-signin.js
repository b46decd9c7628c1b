// Signing in with a passkey from the sign-in page: the server's challenge,
// the browser's assertion, the session cookie, then the console. Shown only
// where the browser has WebAuthn; the password form works without it.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("passkey-signin");
  if (!box || !window.PublicKeyCredential || !window.fetch) {
    return;
  }
  box.hidden = false;
  var status = box.querySelector("[role=status]");

  var bytes = window.b64url.bytes, text = window.b64url.text;
  function json(r) {
    return r.json().then(function (j) {
      if (!r.ok) { throw new Error(j.detail || "the server refused"); }
      return j;
    });
  }
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)}).then(json);
  }

  box.querySelector("button").addEventListener("click", function () {
    status.textContent = "Follow your browser's steps…";
    var ceremony;
    post("/v1/login/passkey/begin", {})
      .then(function (o) {
        ceremony = o.ceremony;
        var pk = o.publicKey.publicKey || o.publicKey;
        pk.challenge = bytes(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
        return navigator.credentials.get({publicKey: pk});
      })
      .then(function (c) {
        return post("/v1/login/passkey", {ceremony: ceremony, credential: {
          id: c.id, rawId: text(c.rawId), type: c.type,
          response: {
            clientDataJSON: text(c.response.clientDataJSON),
            authenticatorData: text(c.response.authenticatorData),
            signature: text(c.response.signature),
            userHandle: c.response.userHandle ? text(c.response.userHandle) : null
          },
          clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {}
        }});
      })
      .then(function () {
        var next = box.getAttribute("data-next");
        window.location.assign(next && next.charAt(0) === "/" && next.charAt(1) !== "/" ? next : "/");
      })
      .catch(function (err) {
        status.textContent = "Not signed in: " + (err && err.message ? err.message : "the browser gave up") + ".";
      });
  });
});
