// The main menu folds behind a "Menu" button on narrow screens. Without this script the
// links simply stay visible, so nothing depends on it.
(() => {
  const button = document.querySelector(".menu-button");
  const menu = document.getElementById("main-menu");
  if (!button || !menu) return;
  document.documentElement.classList.add("nav-js");
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
})();
