// base64url, the encoding WebAuthn's options and answers travel in; shared
// by the passkey scripts of My account and the sign-in page.
window.b64url = {
  bytes: function (s) { // base64url → ArrayBuffer
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  },
  text: function (buf) { // ArrayBuffer → base64url
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) { s += String.fromCharCode(b[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
};
