// The random forest: model, training, prediction, serialization, ONNX export, vigra import.
export * from "./model.js";
export * from "./samples.js";
