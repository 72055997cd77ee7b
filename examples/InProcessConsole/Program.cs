// Tandem in process: this app's chat calls go through a Tandem route (retries, fallback, records) without a gateway.
// Two simulators stand in for model servers; the primary fails every call, so the backup answers:
//   tandem simulate --urls http://127.0.0.1:9101 --errors 503:1 &
//   tandem simulate --urls http://127.0.0.1:9102 &
//   dotnet run --project examples/InProcessConsole -- http://127.0.0.1:9101/v1 http://127.0.0.1:9102/v1
using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using Tandem.Configuration;
using Tandem.Extensions.AI;

var primaryUrl = new Uri(args.ElementAtOrDefault(0) ?? "http://127.0.0.1:9101/v1");
var backupUrl = new Uri(args.ElementAtOrDefault(1) ?? "http://127.0.0.1:9102/v1");
var database = args.ElementAtOrDefault(2) ?? "tandem.db";

var options = new TandemChatClientOptions
{
    InnerDeployment = "primary", // the builder's inner client serves the deployment named "primary"
    Route = "chat",
    // Records and migration state go where a gateway keeps them: one SQLite file here (or PostgreSQL).
    Config = new TandemConfig { Storage = new StorageConfig { Path = database } },
}
    .AddDeployment(
        new DeploymentConfig { Name = "backup", Model = "llama-3.1-8b-instruct", Pricing = new PricingConfig { InputPerMtok = 0.50m, OutputPerMtok = 1.50m } },
        OpenAi(backupUrl, "llama-3.1-8b-instruct"))
    .AddRoute(new RouteConfig { Name = "chat", Deployment = "primary", Fallbacks = ["backup"] });

// Disposing the client flushes its records.
using var client = new ChatClientBuilder(OpenAi(primaryUrl, "gpt-4o-mini")).UseTandem(options).Build();

var answer = await client.GetResponseAsync("Why would a team put a gateway in front of its LLM providers?");
Console.WriteLine($"answered by {answer.ModelId}: {answer.Text}");

var streamedBy = "";
var streamed = new System.Text.StringBuilder();
await foreach (var update in client.GetStreamingResponseAsync("Say hello."))
{
    streamedBy = update.ModelId ?? streamedBy;
    streamed.Append(update.Text);
}

Console.WriteLine($"streamed by {streamedBy}: {streamed}");

// Deployments are IChatClients: here the official OpenAI SDK's. Its own retries are off: Tandem retries per deployment.
static IChatClient OpenAi(Uri endpoint, string model) =>
    new OpenAIClient(new ApiKeyCredential("sk-unused"), new OpenAIClientOptions { Endpoint = endpoint, RetryPolicy = new ClientRetryPolicy(maxRetries: 0) })
        .GetChatClient(model)
        .AsIChatClient();
