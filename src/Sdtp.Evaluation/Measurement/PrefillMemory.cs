namespace Sdtp.Evaluation.Measurement;

/// <summary>Memory of one prefill.</summary>
/// <param name="PeakResidentBytes">Peak resident memory of the whole process (includes what the allocator keeps after frees).</param>
/// <param name="PeakHeapGrowthBytes">Peak growth of the C heap in use during the prefill (<see cref="HeapUsage"/>); null where unknown.</param>
public sealed record PrefillMemory(long PeakResidentBytes, long? PeakHeapGrowthBytes);
