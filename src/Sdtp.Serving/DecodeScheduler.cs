using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Sdtp.Generation;
using Sdtp.Modeling;
using Sdtp.Pruning;
using static TorchSharp.torch;

namespace Sdtp.Serving;

/// <summary>
/// The one thread that touches the model. Requests queue here; between decode steps the scheduler prefills each new
/// one alone (SDTP or dense, so each is pruned by its own length) and lets it join the batch, then runs one
/// <see cref="BatchedDecoder"/> step for every active request and hands each its token. A request whose caller
/// cancels leaves before the next step. Up to <see cref="MaxBatch"/> requests decode together; more wait their turn.
/// </summary>
internal sealed class DecodeScheduler : IDisposable
{
    /// <summary>One request: its prompt and options, where its tokens go, and what its prefill reported.</summary>
    public sealed class Job(IReadOnlyList<int> promptIds, GenerationOptions options, PrunedPrefillFunc? sdtp, CancellationToken cancellation)
    {
        public IReadOnlyList<int> PromptIds { get; } = promptIds;
        public GenerationOptions Options { get; } = options;
        public PrunedPrefillFunc? Sdtp { get; } = sdtp;
        public CancellationToken Cancellation { get; } = cancellation;
        public Channel<int> Tokens { get; } = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public PruningReport? Report { get; set; }
        public double PrefillMs { get; set; }
    }

    // Batches change shape as requests come and go; now and then the freed pages go back to the OS (NativeAllocator).
    private const int TrimEvery = 256;
    private long steps;
    private readonly LlamaForCausalLM model;
    private readonly ConcurrentQueue<Job> waiting = new();
    private readonly SemaphoreSlim arrived = new(0);
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread thread;
    private int nextId;

    /// <summary>A scheduler for <paramref name="model"/>, decoding up to <paramref name="maxBatch"/> requests at once.</summary>
    public DecodeScheduler(LlamaForCausalLM model, int maxBatch = 16)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "must be at least 1");
        this.model = model;
        MaxBatch = maxBatch;
        thread = new Thread(Run) { IsBackground = true, Name = "sdtp-decode" };
        thread.Start();
    }

    /// <summary>Requests that decode in one batch at most.</summary>
    public int MaxBatch { get; }

    /// <summary>Queues <paramref name="job"/>; its tokens arrive on <see cref="Job.Tokens"/>, which completes (with the error, if any) when it ends.</summary>
    public void Submit(Job job)
    {
        waiting.Enqueue(job);
        if (ended is not null) DrainWaiting(ended); // the thread is gone: nothing would ever answer
        else arrived.Release();
    }

    // Why the decode thread stopped (its model failed, or the scheduler was disposed); null while it runs.
    private volatile Exception? ended;

    private void DrainWaiting(Exception reason)
    {
        while (waiting.TryDequeue(out var job)) job.Tokens.Writer.TryComplete(reason);
    }

    private void Run()
    {
        using var decoder = new BatchedDecoder(model);
        var active = new Dictionary<int, Job>();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                if (active.Count == 0) arrived.Wait(stopping.Token); // idle: sleep until a request comes
                // (A count left by a request admitted in a batch only wakes the idle loop once more.)
                while (active.Count < MaxBatch && waiting.TryDequeue(out var job)) Admit(decoder, job, active);
                foreach (var (id, job) in active.Where(a => a.Value.Cancellation.IsCancellationRequested).ToList())
                {
                    decoder.Leave(id);
                    active.Remove(id);
                    job.Tokens.Writer.TryComplete(new OperationCanceledException(job.Cancellation));
                }
                if (active.Count == 0) continue;
                if (++steps % TrimEvery == 0) NativeAllocator.ReturnFreedMemory();
                foreach (var (id, token, finished) in decoder.Step())
                {
                    var job = active[id];
                    job.Tokens.Writer.TryWrite(token);
                    if (!finished) continue;
                    active.Remove(id);
                    job.Tokens.Writer.TryComplete();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            ended = new ObjectDisposedException(nameof(DecodeScheduler));
        }
        catch (Exception e)
        {
            ended = e; // a failure of the model itself ends every request with it, and the scheduler with them
        }
        ended ??= new ObjectDisposedException(nameof(DecodeScheduler));
        foreach (var job in active.Values) job.Tokens.Writer.TryComplete(ended);
        DrainWaiting(ended);
    }

    // Prefills one request alone and lets it join; a request that fails here fails alone.
    private void Admit(BatchedDecoder decoder, Job job, Dictionary<int, Job> active)
    {
        if (job.Cancellation.IsCancellationRequested)
        {
            job.Tokens.Writer.TryComplete(new OperationCanceledException(job.Cancellation));
            return;
        }
        try
        {
            int id = nextId++;
            using var cache = new KvCache(model.Layers.Count, job.PromptIds.Count + 1);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var watch = Stopwatch.StartNew();
            var ids = tensor(job.PromptIds.Select(t => (long)t).ToArray(), device: model.Device).unsqueeze(0);
            Tensor logits;
            if (job.Sdtp is { } sdtp)
            {
                var result = sdtp(model, ids, cache);
                job.Report = result.Report;
                logits = result.LastLogits;
            }
            else logits = model.Forward(ids, cache: cache);
            job.PrefillMs = watch.Elapsed.TotalMilliseconds;
            var (first, finished) = decoder.Join(id, cache, logits, job.Options);
            job.Tokens.Writer.TryWrite(first);
            if (finished) job.Tokens.Writer.TryComplete();
            else active[id] = job;
        }
        catch (Exception e)
        {
            job.Tokens.Writer.TryComplete(e);
        }
    }

    private int disposed;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return; // a pipeline that wraps the client disposes it too
        stopping.Cancel();
        arrived.Release();
        thread.Join();
        stopping.Dispose();
        arrived.Dispose();
    }
}
