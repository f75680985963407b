// ilastik projects (.ilp): feature selections, label classes, input lanes and stored forests.
export {};
