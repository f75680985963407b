// `FILE.h5/internal/path` image specs, split as the reference's read_image splits them.

const HDF5_MARKERS = [".h5/", ".hdf5/", ".ilp/"];

/** Splits `FILE.h5/internal/path` as the reference does, or returns undefined when `spec` names no dataset. */
export function splitHdf5Spec(spec: string): { file: string; dataset: string } | undefined {
  const cuts = HDF5_MARKERS.filter((m) => spec.includes(m)).map((m) => spec.indexOf(m) + m.length - 1);
  if (cuts.length === 0) return undefined;
  const cut = Math.max(...cuts);
  return { file: spec.slice(0, cut), dataset: spec.slice(cut + 1) };
}
