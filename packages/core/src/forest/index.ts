// The random forest: model, training, prediction, serialization, ONNX export, vigra import.
export * from "./model.js";
export * from "./onnx.js";
export * from "./predict.js";
export * from "./random.js";
export * from "./samples.js";
export * from "./serialize.js";
export * from "./train.js";
