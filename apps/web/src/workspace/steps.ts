// ilastik's Pixel Classification applets, as the workspace's steps (each reachable at any time).
export const STEPS = [
  { id: "input", label: "Input Data" },
  { id: "features", label: "Feature Selection" },
  { id: "training", label: "Training" },
  { id: "export", label: "Prediction Export" },
] as const;

export type StepId = (typeof STEPS)[number]["id"];
