using System.Text;

namespace Tandem.Benchmarks;

/// <summary>Request bodies and upstream streams the benchmarks replay.</summary>
internal static class Samples
{
    /// <summary>The body bench/run.sh sends (~330 B): system + user message, a few options.</summary>
    public static readonly byte[] SmallChat = Encoding.UTF8.GetBytes(
        "{\"model\":\"bench-0ms\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a concise assistant for a support team.\"},"
        + "{\"role\":\"user\",\"content\":\"Summarise in one paragraph why a team would put a gateway in front of its LLM providers.\"}],"
        + "\"temperature\":0.2,\"max_tokens\":256,\"user\":\"bench-user\"}");

    /// <summary>The same, streamed: Tandem inserts <c>stream_options.include_usage</c>.</summary>
    public static readonly byte[] SmallChatStream = Encoding.UTF8.GetBytes(
        "{\"model\":\"bench-0ms\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a concise assistant for a support team.\"},"
        + "{\"role\":\"user\",\"content\":\"Summarise in one paragraph why a team would put a gateway in front of its LLM providers.\"}],"
        + "\"temperature\":0.2,\"max_tokens\":256,\"stream\":true,\"user\":\"bench-user\"}");

    /// <summary>A ~6 KB multi-turn conversation with tools, metadata and an image part.</summary>
    public static readonly byte[] LargeChat = BuildLarge();

    /// <summary>
    /// A recorded OpenAI stream (181 events, 47 KB, usage chunk, [DONE]): openai-python's
    /// <c>test_non_pydantic_response_format</c> recording, committed with its licence in test/TestData/openai-python.
    /// </summary>
    public static byte[] RecordedStream()
    {
        // Walk up to the repository root (the folder holding Tandem.slnx) and no further; BenchmarkDotNet may run
        // from a generated folder under bin/, which is still inside the repository.
        const string recording = "test/TestData/openai-python/d615580118391ee13492193e3a8bb74642d23ac1ca13fe37cb6e889b66f759f6.bin";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tandem.slnx")))
            {
                return File.ReadAllBytes(Path.Combine(dir.FullName, recording));
            }
        }

        throw new FileNotFoundException("the benchmarks read " + recording + " from the repository they are built in", recording);
    }

    /// <summary>The full path of a file under the repository's <c>test/TestData</c> (committed fixtures with their licences).</summary>
    public static string TestDataFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tandem.slnx")))
            {
                return Path.Combine(dir.FullName, "test", "TestData", relative);
            }
        }

        throw new FileNotFoundException("the benchmarks read test/TestData from the repository they are built in", relative);
    }

    /// <summary>A stream like the one `tandem simulate` sends: role chunk, content chunks, finish, usage, [DONE].</summary>
    public static byte[] GeneratedStream(int contentChunks)
    {
        var sb = new StringBuilder();
        const string head = "data: {\"id\":\"chatcmpl-sim00000001\",\"object\":\"chat.completion.chunk\",\"created\":1796150781,\"model\":\"gpt-bench\",\"system_fingerprint\":\"fp_tandem_sim\",\"choices\":[";
        sb.Append(head).Append("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        for (var i = 0; i < contentChunks; i++)
        {
            sb.Append(head).Append("{\"index\":0,\"delta\":{\"content\":\" and cost tokens latency measure\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        }

        sb.Append(head).Append("{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n");
        sb.Append(head).Append("],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":110,\"total_tokens\":141,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n");
        sb.Append("data: [DONE]\n\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static byte[] BuildLarge()
    {
        var sb = new StringBuilder("{\"model\":\"bench-0ms\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a support assistant. Answer briefly and cite the policy section.\"}");
        for (var i = 0; i < 12; i++)
        {
            sb.Append(",{\"role\":\"user\",\"content\":\"Turn ").Append(i).Append(": my card was charged twice for the same order, what should I do next and how long does a refund take?\"}");
            sb.Append(",{\"role\":\"assistant\",\"content\":\"I am sorry about the double charge. Refunds of duplicate charges are issued within five business days (policy 4.2).\"}");
        }

        sb.Append(",{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Here is the receipt.\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.invalid/receipt.png\"}}]}]");
        sb.Append(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup_order\",\"description\":\"Find an order\",\"parameters\":{\"type\":\"object\",\"properties\":{\"order_id\":{\"type\":\"string\"}},\"required\":[\"order_id\"]}}}]");
        sb.Append(",\"metadata\":{\"team\":\"support\",\"feature\":\"refunds\"},\"temperature\":0.3,\"user\":\"u-123\"}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
