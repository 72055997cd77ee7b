import { get } from "../api";
import { el, empty, money, section, table } from "../ui";

interface Row {
  time: string;
  id: string;
  operation: string;
  key: string;
  route: string | null;
  deployment: string | null;
  decision: string;
  status: number;
  error: string | null;
  attempts: number;
  total_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost: number;
}

interface Detail {
  decision: string;
  attempts: { deployment: string; status: number; error: string | null; latency_ms: number }[];
}

const filters = ["route", "deployment", "key", "status", "failed", "from", "to", "id"] as const;

/** The request log: filters go into the URL hash, so a filtered view can be shared and reloaded. */
export async function requests(params: URLSearchParams, go: (params: URLSearchParams) => void): Promise<HTMLElement[]> {
  const query = new URLSearchParams();
  for (const f of filters) if (params.get(f)) query.set(f, params.get(f)!);
  query.set("limit", "50");
  if (params.get("after")) query.set("after", params.get("after")!);
  const page = await get<{ records: Row[]; next: string | null }>("/admin/records?" + query.toString());

  const form = el("form", { class: "filters", "data-form": "requests" });
  for (const f of filters) {
    const input =
      f === "failed"
        ? el("select", { name: f }, el("option", { value: "" }, "any"), el("option", { value: "true" }, "errors"), el("option", { value: "false" }, "successes"))
        : el("input", { name: f, placeholder: f === "from" || f === "to" ? "2026-11-20T12:00Z" : f, size: f === "id" ? 24 : 12 });
    (input as HTMLInputElement).value = params.get(f) ?? "";
    form.append(el("label", {}, f, " ", input));
  }
  form.append(el("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (typeof value === "string" && value) next.set(name, value);
    go(next);
  });

  const detail = el("div", { class: "detail", "data-detail": "" });
  const list =
    page.records.length === 0
      ? empty("No request matches.")
      : table(
          "requests",
          [
            { title: "Time (UTC)", cell: (r) => r.time.replace("T", " ").slice(0, 23) },
            { title: "Request id", cell: (r) => el("a", { href: "#", "data-request": r.id }, r.id), key: "id" },
            { title: "Key", cell: (r) => r.key },
            { title: "Route", cell: (r) => r.route ?? "—", key: "route" },
            { title: "Deployment", cell: (r) => r.deployment ?? "—", key: "deployment" },
            { title: "Status", cell: (r) => r.status, key: "status", numeric: true },
            { title: "Error", cell: (r) => r.error ?? "" },
            { title: "Latency", cell: (r) => r.total_ms.toFixed(1) + " ms", numeric: true },
            { title: "Tokens", cell: (r) => `${r.prompt_tokens}/${r.completion_tokens}`, numeric: true },
            { title: "Cost", cell: (r) => money(r.cost), numeric: true },
          ],
          page.records,
          (r) => r.id,
        );
  list.addEventListener("click", async (e) => {
    const link = (e.target as HTMLElement).closest("a[data-request]") as HTMLAnchorElement | null;
    if (!link) return;
    e.preventDefault();
    const id = link.dataset.request!;
    const r = await get<Detail>("/admin/records/" + encodeURIComponent(id));
    detail.replaceChildren(
      el("h3", {}, "Request " + id),
      el("p", {}, "Decision: ", el("span", { "data-decision": id }, r.decision)),
      table(
        "attempts",
        [
          { title: "#", cell: (_a) => "" },
          { title: "Deployment", cell: (a) => a.deployment },
          { title: "Status", cell: (a) => a.status, numeric: true },
          { title: "Error", cell: (a) => a.error ?? "" },
          { title: "Latency", cell: (a) => a.latency_ms.toFixed(1) + " ms", numeric: true },
        ],
        r.attempts,
      ),
    );
  });

  const pager = el("div", { class: "pager" });
  if (params.get("after")) {
    const newest = new URLSearchParams(params);
    newest.delete("after");
    const first = el("button", { type: "button", "data-page": "newest" }, "Newest");
    first.addEventListener("click", () => go(newest));
    pager.append(first);
  }
  if (page.next) {
    const older = new URLSearchParams(params);
    older.set("after", page.next);
    const button = el("button", { type: "button", "data-page": "older" }, "Older →");
    button.addEventListener("click", () => go(older));
    pager.append(button);
  }
  return [form, section("Requests, newest first", list, pager), detail];
}
