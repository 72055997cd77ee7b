using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Tandem.Cli.Commands;

/// <summary><c>tandem migrate status|start|advance|rollback|pin</c>: the migration admin API from the command line.</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var api = new AdminApi();
        var routeOptional = new Argument<string?>("route") { Description = "Route (all when omitted)", Arity = ArgumentArity.ZeroOrOne };
        var historyLimit = new Option<int>("--history") { Description = "Stage changes to show per page (default 20, at most 500)", DefaultValueFactory = _ => 20 };
        var before = new Option<long?>("--before") { Description = "Show the page of history before this event id (printed under the history)" };
        var status = new Command("status", "Stage, traffic split, gate table, stage-change history (paged) and gate evaluations of migrations.")
        {
            routeOptional, historyLimit, before,
        };
        api.AddTo(status);
        status.SetAction((parse, ct) =>
        {
            var path = parse.GetValue(routeOptional) is { } r ? $"admin/migrations/{Uri.EscapeDataString(r)}" : "admin/migrations";
            var query = "?history_limit=" + parse.GetValue(historyLimit).ToString(System.Globalization.CultureInfo.InvariantCulture)
                + (parse.GetValue(before) is long b ? "&history_before=" + b.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
            return RunAsync(parse, api, HttpMethod.Get, path + query, null, ct);
        });

        var migrate = new Command("migrate", "Move a route from its incumbent to a candidate: shadow, canary, cutover, full.") { status };
        var to = new Option<string>("--to") { Description = "The candidate deployment", Required = true };
        var routeArg = new Argument<string>("route") { Description = "Route" };
        var start = new Command("start", "Start migrating a route to a candidate (in shadow).") { routeArg, to };
        api.AddTo(start);
        start.SetAction((parse, ct) => RunAsync(parse, api, HttpMethod.Post,
            $"admin/migrations/{Uri.EscapeDataString(parse.GetValue(routeArg)!)}/start", JsonSerializer.Serialize(parse.GetValue(to), CliJsonContext.Default.String) is var t ? "{\"to\":" + t + "}" : null, ct));
        migrate.Subcommands.Add(start);
        foreach (var (name, description) in new[]
        {
            ("advance", "Move to the next stage now."),
            ("rollback", "Return all traffic to the incumbent at once."),
            ("pin", "Make the candidate the route's pinned deployment (stage full)."),
            ("evaluate", "Evaluate the gates now (and act on them under auto)."),
        })
        {
            var route = new Argument<string>("route") { Description = "Route" };
            var command = new Command(name, description) { route };
            api.AddTo(command);
            command.SetAction((parse, ct) => RunAsync(parse, api, HttpMethod.Post,
                $"admin/migrations/{Uri.EscapeDataString(parse.GetValue(route)!)}/{name}", null, ct));
            migrate.Subcommands.Add(command);
        }

        return migrate;
    }

    private static Task<int> RunAsync(ParseResult parse, AdminApi api, HttpMethod method, string path, string? body, CancellationToken cancellationToken) =>
        api.SendAsync(parse, "migrate", method, path, body, static (console, root) =>
        {
            foreach (var m in root.GetProperty("migrations").EnumerateArray())
            {
                Render(console, m);
            }
        }, cancellationToken);

    private static void Render(IAnsiConsole console, JsonElement m)
    {
        var route = m.GetProperty("route").GetString();
        console.Write(new Rule($"[bold]{Markup.Escape(route!)}[/]: {Markup.Escape(m.GetProperty("incumbent").GetString()!)} → {Markup.Escape(m.GetProperty("candidate").GetString()!)}").LeftJustified());
        var split = string.Join(", ", m.GetProperty("traffic_percent").EnumerateObject().Select(p => $"{p.Name} {p.Value.GetDouble():0.#}%"));
        console.MarkupLine($"stage [bold]{Markup.Escape(m.GetProperty("stage").GetString()!)}[/]  auto {m.GetProperty("auto").GetBoolean()}  pinned {m.GetProperty("pinned").GetBoolean()}  traffic {Markup.Escape(split)}");
        if (m.TryGetProperty("held", out var held) && held.ValueKind == JsonValueKind.Object)
        {
            var by = string.Join(", ", held.GetProperty("by").EnumerateArray().Select(g => g.GetString()));
            var limit = held.TryGetProperty("hold_limit", out var l) ? $"; stopped after {l.GetString()}" : "; held until someone acts (set hold_limit to stop it)";
            console.MarkupLine($"[yellow]held by gate(s) {Markup.Escape(by)}[/] since {held.GetProperty("since").GetString()} ({TimeSpan.FromSeconds(held.GetProperty("for_seconds").GetInt64())}){Markup.Escape(limit)}");
        }

        var gates = m.GetProperty("gates");
        if (gates.ValueKind == JsonValueKind.Null)
        {
            console.MarkupLine("migration finished: no gates left");
            RenderRetirementsAndHistory(console, m, route!);
            return;
        }

        var table = new Table().AddColumns("gate", "value", "threshold", "samples", "result");
        foreach (var g in gates.GetProperty("gates").EnumerateArray())
        {
            var value = g.GetProperty("value").ValueKind == JsonValueKind.Number ? g.GetProperty("value").GetDouble().ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) : "–";
            table.AddRow(g.GetProperty("gate").GetString()!, value, Markup.Escape(g.GetProperty("threshold").GetString()!),
                g.GetProperty("samples").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
                g.GetProperty("passed").GetBoolean() ? "[green]pass[/]" : "[red]fail[/]");
        }

        console.Write(table);
        if (gates.TryGetProperty("agreement_ci95", out var ci))
        {
            console.MarkupLine($"agreement {gates.GetProperty("agreement").GetDouble():P1} (95% CI {ci[0].GetDouble():P1}–{ci[1].GetDouble():P1}) over {gates.GetProperty("compared").GetInt32()} compared answers");
        }

        var disagreements = gates.GetProperty("top_disagreements");
        if (disagreements.GetArrayLength() > 0)
        {
            var d = new Table().AddColumns("incumbent said", "candidate said", "count");
            foreach (var row in disagreements.EnumerateArray())
            {
                d.AddRow(Markup.Escape(row.GetProperty("incumbent").GetString()!), Markup.Escape(row.GetProperty("candidate").GetString()!), row.GetProperty("count").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            console.Write(d);
        }

        RenderRetirementsAndHistory(console, m, route!);
    }

    private static void RenderRetirementsAndHistory(IAnsiConsole console, JsonElement m, string route)
    {
        foreach (var r in m.GetProperty("retirements").EnumerateArray())
        {
            var days = r.GetProperty("days_left").GetInt32();
            console.MarkupLine($"{(days <= 90 ? "[yellow]warning[/]" : "note")}: {Markup.Escape(r.GetProperty("deployment").GetString()!)} ({Markup.Escape(r.GetProperty("model").GetString()!)}) retires {r.GetProperty("retires").GetString()} ({days} days)");
        }

        // Stage changes first, paged on their own, so that frequent evaluations never push them out.
        var history = new Table().Title("stage changes, newest first").AddColumns("id", "time", "event", "from", "to", "trigger");
        foreach (var e in m.GetProperty("history").EnumerateArray())
        {
            history.AddRow(e.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), e.GetProperty("time").GetString()!,
                e.GetProperty("kind").GetString()!, Markup.Escape(e.GetProperty("from").GetString() ?? ""), Markup.Escape(e.GetProperty("to").GetString() ?? ""),
                e.GetProperty("trigger").GetString()!);
        }

        console.Write(history);
        if (m.TryGetProperty("history_next_before", out var next) && next.ValueKind == JsonValueKind.Number)
        {
            console.MarkupLine($"older stage changes: tandem migrate status {Markup.Escape(route)} --before {next.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        if (m.TryGetProperty("evaluations", out var evaluations) && evaluations.GetArrayLength() > 0)
        {
            var runs = new Table().Title("gate evaluations (a row per change of outcome), newest first").AddColumns("from", "to", "evaluations", "stage", "outcome");
            foreach (var e in evaluations.EnumerateArray())
            {
                runs.AddRow(e.GetProperty("first_time").GetString()!, e.GetProperty("time").GetString()!,
                    e.GetProperty("count").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(e.GetProperty("stage").GetString()!), Markup.Escape(e.GetProperty("outcome").GetString()!));
            }

            console.Write(runs);
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class CliJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
