// What the ceremony's pages share: a local failure shown beside the action it stopped.

export function showError(form, text) {
  const box = form.querySelector("[data-js-error]");
  box.textContent = text;
  box.hidden = false;
}

export function clearError(form) {
  const box = form.querySelector("[data-js-error]");
  box.textContent = "";
  box.hidden = true;
}

// Runs ``act`` (which signs and fills the form's hidden fields) before the form is sent;
// a failure stops it, with the reason beside the button.
export function beforeSubmit(form, act) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    clearError(form);
    try {
      await act(form);
      form.submit(); // the native submission: this listener does not run again
    } catch (error) {
      showError(form, error.message || String(error));
      button.disabled = false;
    }
  });
}

export function unsupported(error) {
  const name = error && error.name;
  if (name === "NotSupportedError" || name === "NotImplementedError") {
    return new Error(
      "此浏览器不支持 Ed25519 签名（WebCrypto）：请使用新版 Chrome、Edge 或 Chromium，" +
        "或改用命令行工具 spotcheck-ceremony",
    );
  }
  return error;
}
