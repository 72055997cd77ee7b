using System.CommandLine;
using Tandem.Cli.Commands;

var root = new RootCommand("Tandem: one OpenAI-compatible endpoint in front of every model, for moving from proprietary APIs to self-hosted models safely and measurably.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(SimulateCommand.Create());
root.Subcommands.Add(ConfigCommand.Create());
root.Subcommands.Add(KeysCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(MigrateCommand.Create());
root.Subcommands.Add(CostsCommand.Create());
root.Subcommands.Add(StorageCommand.Create());
root.Subcommands.Add(FeedbackCommand.Create());
root.Subcommands.Add(AdaptersCommand.Create());
var parse = root.Parse(args);
var invocation = new InvocationConfiguration();
invocation.ProcessTerminationTimeout = ServeCommand.TerminationTimeout(parse, invocation.ProcessTerminationTimeout);
return await parse.InvokeAsync(invocation).ConfigureAwait(false);
