import "./style.css";
import { ApiError, current, restore, signIn, signOut } from "./api";
import { el } from "./ui";
import { overview } from "./pages/overview";
import { migrations } from "./pages/migrations";
import { deployments } from "./pages/deployments";
import { costs } from "./pages/costs";
import { requests } from "./pages/requests";
import { quality } from "./pages/quality";

const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;
const who = document.getElementById("who")!;

const titles: Record<string, string> = {
  overview: "Overview",
  migrations: "Routes & migrations",
  deployments: "Deployments",
  costs: "Costs",
  quality: "Quality",
  requests: "Requests",
};

const pages: Record<string, (params: URLSearchParams) => Promise<HTMLElement[]>> = {
  overview: () => overview(),
  migrations: () => migrations(() => void render()),
  deployments: () => deployments(),
  costs: () => costs(),
  quality: () => quality(),
  requests: (params) => requests(params, (p) => (location.hash = "#/requests?" + p.toString())),
};

function route(): { page: string; params: URLSearchParams } {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  return { page: titles[path] ? path : "overview", params: new URLSearchParams(query ?? "") };
}

async function render(): Promise<void> {
  if (!current()) {
    showSignIn();
    return;
  }
  const { page, params } = route();
  document.title = `${titles[page]} · Tandem`;
  for (const a of nav.querySelectorAll("a")) a.classList.toggle("active", a.getAttribute("href") === "#/" + page);
  main.dataset.page = page;
  main.dataset.ready = "false";
  try {
    const parts = await pages[page](params);
    main.replaceChildren(el("h1", {}, titles[page]), ...parts);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      showSignIn();
      return;
    }
    main.replaceChildren(el("h1", {}, titles[page]), el("p", { class: "error", role: "alert" }, (e as Error).message));
  }
  main.dataset.ready = "true";
}

function showSignIn(message?: string): void {
  nav.hidden = true;
  who.replaceChildren();
  const input = el("input", { type: "password", name: "key", autocomplete: "current-password", required: true, "aria-label": "Admin key" });
  const form = el(
    "form",
    { class: "signin", "data-form": "signin" },
    el("h1", {}, "Sign in"),
    el("p", {}, "The dashboard takes the gateway's admin key."),
    input,
    el("button", { type: "submit" }, "Sign in"),
    message ? el("p", { class: "error", role: "alert", "data-signin-error": "" }, message) : "",
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await signIn(input.value);
      signedIn();
    } catch (err) {
      showSignIn((err as Error).message);
    }
  });
  main.dataset.page = "signin";
  main.replaceChildren(form);
  main.dataset.ready = "true";
  input.focus();
}

function signedIn(): void {
  nav.hidden = false;
  const out = el("button", { type: "button", "data-signout": "" }, "Sign out");
  out.addEventListener("click", async () => {
    await signOut();
    showSignIn();
  });
  who.replaceChildren(`${current()!.name} (${current()!.role}) `, out);
  void render();
}

window.addEventListener("hashchange", () => void render());
restore().then(
  (s) => (s ? signedIn() : showSignIn()),
  (e) => showSignIn((e as Error).message),
);
