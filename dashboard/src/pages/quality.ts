import { get } from "../api";
import { dayChart } from "../chart";
import { el, empty, percent, section, table } from "../ui";

interface Day {
  day: string;
  samples: number;
  compared: number;
  agreed: number;
  agreement: number | null;
  judged: number;
  judge_score: number | null;
}

interface Series {
  route: string;
  incumbent: string;
  candidate: string;
  days: Day[];
}

interface Evaluation {
  stage: string;
  outcome: string;
  first_time: string;
  time: string;
  count: number;
}

interface Migration {
  route: string;
  stage: string;
  gates: { agreement?: number | null; agreement_ci95?: [number, number]; judge_score?: number | null; samples: number; top_disagreements: { incumbent: string; candidate: string; count: number }[] } | null;
  evaluations: Evaluation[];
}

const when = (t: string): string => t.replace("T", " ").slice(0, 16);

/** Shadow agreement and judge scores per day, the gates' current figures, top disagreements and gate evaluation runs. */
export async function quality(): Promise<HTMLElement[]> {
  const [{ from, routes }, { migrations }] = await Promise.all([
    get<{ from: string; routes: Series[] }>("/dashboard/api/quality"),
    get<{ migrations: Migration[] }>("/admin/migrations"),
  ]);
  // The chart spans the whole window (days without samples are gaps).
  const start = Date.parse(from.slice(0, 10) + "T00:00:00Z");
  const window = Array.from({ length: 14 }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
  if (routes.length === 0) return [empty("No route has a migration: shadow comparisons start with one.")];
  return routes.map((s) => {
    const m = migrations.find((x) => x.route === s.route);
    const g = m?.gates ?? null;
    return el(
      "article",
      { class: "card", "data-quality": s.route },
      el("h2", {}, `Route ${s.route}`),
      el(
        "p",
        {},
        `${s.incumbent} → ${s.candidate}${m ? " · stage " + m.stage : ""} · now: `,
        el("strong", { "data-agreement": s.route, "data-value": g?.agreement ?? "" }, g?.agreement != null ? percent(g.agreement) : "no comparison"),
        " agreement",
        g?.agreement_ci95 ? ` (95% CI ${percent(g.agreement_ci95[0])}–${percent(g.agreement_ci95[1])})` : "",
        " · judge ",
        el("strong", { "data-judge": s.route, "data-value": g?.judge_score ?? "" }, g?.judge_score != null ? g.judge_score.toFixed(2) : "none"),
        ` · ${g?.samples ?? 0} samples`,
      ),
      section(
        "Agreement per day, with judge scores in the table (last 14 days)",
        s.days.length === 0
          ? empty("No shadow samples in the last 14 days.")
          : dayChart(
              "agreement-" + s.route,
              window,
              [{ name: "agreement", values: window.map((day) => s.days.find((d) => d.day === day)?.agreement ?? null).map((a) => (a === null ? null : a * 100)) as number[] }],
              "% agree",
              false,
              [0, 100],
            ),
        s.days.length === 0
          ? ""
          : table(
              "quality-days-" + s.route,
              [
                { title: "Day", cell: (d) => d.day },
                { title: "Samples", cell: (d) => d.samples, key: "samples", numeric: true },
                { title: "Compared", cell: (d) => d.compared, key: "compared", numeric: true },
                { title: "Agreed", cell: (d) => d.agreed, key: "agreed", numeric: true },
                { title: "Agreement", cell: (d) => (d.agreement === null ? "—" : percent(d.agreement)), key: "agreement", numeric: true },
                { title: "Judged", cell: (d) => d.judged, key: "judged", numeric: true },
                { title: "Mean judge score", cell: (d) => (d.judge_score === null ? "—" : d.judge_score.toFixed(2)), key: "judge", numeric: true },
              ],
              s.days,
              (d) => d.day,
            ),
      ),
      section(
        "Top disagreements",
        !g || g.top_disagreements.length === 0
          ? empty("No disagreement among the compared samples (answers are shown only where content capture keeps them).")
          : table(
              "quality-disagreements-" + s.route,
              [
                { title: "Incumbent said", cell: (d) => d.incumbent },
                { title: "Candidate said", cell: (d) => d.candidate },
                { title: "Times", cell: (d) => d.count, key: "count", numeric: true },
              ],
              g.top_disagreements,
            ),
      ),
      section(
        "Gate evaluation runs",
        !m || m.evaluations.length === 0
          ? empty("No gate evaluation yet.")
          : table(
              "quality-evaluations-" + s.route,
              [
                { title: "From", cell: (e) => when(e.first_time) },
                { title: "To", cell: (e) => when(e.time) },
                { title: "Stage", cell: (e) => e.stage },
                { title: "Outcome", cell: (e) => el("span", { class: "pill " + (e.outcome === "pass" ? "closed" : "open") }, e.outcome), key: "outcome" },
                { title: "Evaluations", cell: (e) => e.count, key: "count", numeric: true },
              ],
              m.evaluations,
            ),
        el("p", {}, el("a", { href: "/admin/migrations/" + encodeURIComponent(s.route), "data-evidence": s.route }, "Each run's full evidence (JSON)")),
      ),
    );
  });
}
