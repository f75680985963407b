// GLSL (WebGL2) for the layer compositor: one quad per tile, placed by a uniform rectangle in clip space,
// and one fragment shader per layer kind (raw grayscale/RGB with a display range, label classes through
// a palette, a class's probability in its color, segmentation by argmax with a threshold, uncertainty).

export const QUAD_VERTEX = `#version 300 es
uniform vec4 uRect;
out vec2 vUv;
void main() {
  vec2 c = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  vUv = c;
  gl_Position = vec4(mix(uRect.xy, uRect.zw, c), 0.0, 1.0);
}`;

export const RAW_FRAGMENT = `#version 300 es
precision highp float;
uniform highp sampler2D uTex;
uniform vec4 uMask;
uniform int uRgb;
uniform vec2 uRange;
uniform float uOpacity;
in vec2 vUv;
out vec4 outColor;
void main() {
  vec4 s = texture(uTex, vUv);
  float k = 1.0 / max(uRange.y - uRange.x, 1e-30);
  if (uRgb == 1) {
    outColor = vec4(clamp((s.rgb - uRange.x) * k, 0.0, 1.0), uOpacity);
  } else {
    float g = clamp((dot(s, uMask) - uRange.x) * k, 0.0, 1.0);
    outColor = vec4(g, g, g, uOpacity);
  }
}`;

export const LABEL_FRAGMENT = `#version 300 es
precision mediump float;
uniform mediump sampler2D uTex;
uniform mediump sampler2D uPalette;
uniform float uOpacity;
in vec2 vUv;
out vec4 outColor;
void main() {
  int id = int(texture(uTex, vUv).r * 255.0 + 0.5);
  if (id == 0) discard;
  vec4 c = texelFetch(uPalette, ivec2(id, 0), 0);
  if (c.a == 0.0) discard;
  outColor = vec4(c.rgb, uOpacity);
}`;

export const PROBABILITY_FRAGMENT = `#version 300 es
precision mediump float;
uniform mediump sampler2DArray uTex;
uniform float uLayer;
uniform vec3 uColor;
uniform float uOpacity;
in vec2 vUv;
out vec4 outColor;
void main() {
  float p = texture(uTex, vec3(vUv, uLayer)).r;
  outColor = vec4(uColor, p * uOpacity);
}`;

export const MAX_SHADER_CLASSES = 32;

export const SEGMENTATION_FRAGMENT = `#version 300 es
precision mediump float;
uniform mediump sampler2DArray uTex;
uniform int uN;
uniform vec3 uColors[${MAX_SHADER_CLASSES}];
uniform float uThreshold;
uniform float uOpacity;
in vec2 vUv;
out vec4 outColor;
void main() {
  float best = -1.0;
  int bi = -1;
  for (int i = 0; i < ${MAX_SHADER_CLASSES}; i++) {
    if (i >= uN) break;
    float p = texture(uTex, vec3(vUv, float(i))).r;
    if (p > best) { best = p; bi = i; }
  }
  if (bi < 0 || best < uThreshold || best <= 0.0) discard;
  outColor = vec4(uColors[bi], uOpacity);
}`;

/** Uncertainty from the service's uncertainty plane (uMode 0) or from the probabilities (uMode 1). */
export const UNCERTAINTY_FRAGMENT = `#version 300 es
precision mediump float;
uniform mediump sampler2D uPlane;
uniform mediump sampler2DArray uProbs;
uniform int uMode;
uniform int uN;
uniform vec3 uColor;
uniform float uOpacity;
in vec2 vUv;
out vec4 outColor;
void main() {
  float u;
  if (uMode == 0) {
    u = texture(uPlane, vUv).r;
  } else {
    float a = 0.0;
    float b = 0.0;
    for (int i = 0; i < ${MAX_SHADER_CLASSES}; i++) {
      if (i >= uN) break;
      float p = texture(uProbs, vec3(vUv, float(i))).r;
      if (p > a) { b = a; a = p; } else if (p > b) { b = p; }
    }
    u = 1.0 - (a - b);
  }
  outColor = vec4(uColor, u * uOpacity);
}`;
